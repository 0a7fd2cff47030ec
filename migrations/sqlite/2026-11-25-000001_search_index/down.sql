DROP TRIGGER events_fts_update;
DROP TRIGGER events_fts_delete;
DROP TRIGGER events_fts_insert;
DROP TABLE events_fts;
