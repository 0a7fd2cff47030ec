-- The audit trail: every administrator and app action, append-only and hash-chained row to
-- row (see crates/store/src/audit.rs). `seq` is assigned by the writer as last + 1, so a gap
-- means a deletion; `hash` covers `prev_hash` and the row's fields, so an edit breaks the chain.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    time TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL,
    actor TEXT,
    ip TEXT,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
