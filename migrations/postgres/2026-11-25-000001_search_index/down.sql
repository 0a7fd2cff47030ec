DROP INDEX IF EXISTS events_search_trgm;
