-- `q` is a substring search (`search LIKE '%word%'` on the folded search column), which no
-- B-tree serves. An FTS5 trigram index over the same column does, for words of three characters
-- or more: the events query narrows its rows to the index's candidates and keeps its own LIKE,
-- so the answer is the same with or without it. External content (the text stays in events
-- only), no positions (detail=none: a third of the size; candidates are checked by the LIKE).
CREATE VIRTUAL TABLE events_fts USING fts5(
    search,
    content = 'events',
    content_rowid = 'id',
    tokenize = 'trigram',
    detail = 'none'
);

CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, search) VALUES (new.id, new.search);
END;

CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;

CREATE TRIGGER events_fts_update AFTER UPDATE OF search ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO events_fts (rowid, search) VALUES (new.id, new.search);
END;

INSERT INTO events_fts (events_fts) VALUES ('rebuild');
