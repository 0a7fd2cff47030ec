-- `q` is a substring search (`search LIKE '%word%'` on the folded search column), which no
-- B-tree serves. A trigram GIN index does, for words of three characters or more. pg_trgm ships
-- with PostgreSQL's contrib modules and is a trusted extension (the database owner may create
-- it); where it is not installed the index is skipped and `q` scans, as before.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX events_search_trgm ON events USING gin (search gin_trgm_ops);
    ELSE
        RAISE NOTICE 'pg_trgm is not available: event search will scan the table';
    END IF;
END
$$;
