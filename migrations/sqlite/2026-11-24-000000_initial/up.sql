-- The whole data model of the Reports section. Same names in both dialects; see
-- migrations/postgres for the PostgreSQL twin. Text columns that lists filter or sort on are
-- NOT NULL with '' for "absent", so keyset pagination never meets NULL ordering differences.
-- Columns named `search` hold the Unicode-folded text that `q` matches, written at insert time.

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT UNIQUE,
    time TIMESTAMP NOT NULL,
    type TEXT NOT NULL,
    success BOOLEAN NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    display_name TEXT,
    ip TEXT NOT NULL DEFAULT '',
    entered_login TEXT,
    real_user_id TEXT,
    endpoint_id TEXT NOT NULL DEFAULT '',
    app_name TEXT,
    auth_method TEXT,
    user_rights TEXT,
    previous_status INTEGER,
    new_status INTEGER,
    description TEXT,
    admin_type TEXT,
    user_agent TEXT,
    users TEXT,
    details TEXT,
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_time ON events (time, id);
-- user_id rides along so the dashboard counts active users per day from the index alone.
CREATE INDEX events_type_time ON events (type, time, id, user_id);
CREATE INDEX events_type_id ON events (type, id);
CREATE INDEX events_user_time ON events (user_id, time, id);
CREATE INDEX events_user_id ON events (user_id, id);
CREATE INDEX events_ip_time ON events (ip, time, id);
CREATE INDEX events_ip_id ON events (ip, id);
CREATE INDEX events_endpoint_time ON events (endpoint_id, time, id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    department TEXT,
    is_guest BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX users_display_name ON users (display_name, id);

CREATE TABLE conferences (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conferences_owner ON conferences (owner, id);

CREATE TABLE call_sessions (
    id TEXT PRIMARY KEY,
    conference_id TEXT REFERENCES conferences (id) ON DELETE SET NULL,
    title TEXT,
    title_sort TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL,
    multicast BOOLEAN NOT NULL DEFAULT FALSE,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    duration_s BIGINT,
    participants INTEGER NOT NULL DEFAULT 0,
    connections INTEGER NOT NULL DEFAULT 0,
    recorded BOOLEAN NOT NULL DEFAULT FALSE,
    search TEXT NOT NULL DEFAULT '',
    -- Sort keys of `ended_at` and `duration_s`, which are NULL while a session is active: keyset
    -- pagination needs keys without NULLs, so an active session sorts after every ended one
    -- (ascending). Generated, so they follow every write and every session end by themselves.
    ended_sort TIMESTAMP NOT NULL GENERATED ALWAYS AS (COALESCE(ended_at, '9999-12-31 00:00:00')) STORED,
    duration_sort BIGINT NOT NULL GENERATED ALWAYS AS (COALESCE(duration_s, 9223372036854775807)) STORED
);
CREATE INDEX call_sessions_started ON call_sessions (started_at, id);
CREATE INDEX call_sessions_ended ON call_sessions (ended_sort, id);
CREATE INDEX call_sessions_duration ON call_sessions (duration_sort, id);
CREATE INDEX call_sessions_participants ON call_sessions (participants, id);
CREATE INDEX call_sessions_owner ON call_sessions (owner, started_at, id);
CREATE INDEX call_sessions_owner_id ON call_sessions (owner, id);
CREATE INDEX call_sessions_title ON call_sessions (title_sort, id);
CREATE INDEX call_sessions_conference ON call_sessions (conference_id, started_at, id);

-- One row per connection of a participant to a session, with the connection's properties.
CREATE TABLE participations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES call_sessions (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL DEFAULT '',
    -- Who the person is for counting: the user id, or for a guest the application instance.
    person_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_guest BOOLEAN NOT NULL DEFAULT FALSE,
    device TEXT,
    endpoint_id TEXT,
    joined_at TIMESTAMP NOT NULL,
    left_at TIMESTAMP,
    leave_reason TEXT,
    app TEXT,
    app_version TEXT,
    os TEXT,
    cpu TEXT,
    ip TEXT,
    system_info TEXT
);
CREATE INDEX participations_session ON participations (session_id, joined_at, id);
CREATE INDEX participations_user ON participations (user_id, joined_at);
CREATE INDEX participations_person ON participations (session_id, person_key);

CREATE TABLE name_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participation_id BIGINT NOT NULL REFERENCES participations (id) ON DELETE CASCADE,
    time TIMESTAMP NOT NULL,
    old_name TEXT NOT NULL,
    new_name TEXT NOT NULL
);
CREATE INDEX name_changes_participation ON name_changes (participation_id, time);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT UNIQUE,
    session_id TEXT NOT NULL REFERENCES call_sessions (id) ON DELETE CASCADE,
    time TIMESTAMP NOT NULL,
    inviter TEXT NOT NULL,
    inviter_is_server BOOLEAN NOT NULL DEFAULT FALSE,
    invitee TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX invitations_session ON invitations (session_id, time, id);

CREATE TABLE media_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT UNIQUE,
    session_id TEXT NOT NULL REFERENCES call_sessions (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL,
    time TIMESTAMP NOT NULL,
    bitrate_in_kbps INTEGER,
    bitrate_out_kbps INTEGER,
    resolution TEXT,
    fps DOUBLE PRECISION,
    packet_loss_pct DOUBLE PRECISION,
    jitter_ms DOUBLE PRECISION,
    cpu_pct DOUBLE PRECISION
);
CREATE INDEX media_stats_session ON media_stats (session_id, connection_id, time);

-- Chat messages are deleted explicitly (and logged), never by a foreign-key cascade.
CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT UNIQUE,
    time TIMESTAMP NOT NULL,
    sender TEXT NOT NULL,
    sender_name TEXT,
    recipient TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chat_messages_time ON chat_messages (time, id);
CREATE INDEX chat_messages_sender ON chat_messages (sender, time, id);
CREATE INDEX chat_messages_sender_id ON chat_messages (sender, id);
CREATE INDEX chat_messages_recipient ON chat_messages (recipient, time, id);
CREATE INDEX chat_messages_recipient_id ON chat_messages (recipient, id);
CREATE INDEX chat_messages_session ON chat_messages (session_id, time, id);

CREATE TABLE chat_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT UNIQUE,
    session_id TEXT NOT NULL REFERENCES call_sessions (id) ON DELETE CASCADE,
    sender TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    -- Name of the file under the data directory; NULL until its content arrived.
    storage_key TEXT
);
CREATE INDEX chat_files_session ON chat_files (session_id, sent_at, id);

CREATE TABLE config_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT UNIQUE,
    time TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object TEXT NOT NULL,
    -- JSON array of {parameter, before, after}.
    changes TEXT NOT NULL,
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX config_changes_time ON config_changes (time, id);
CREATE INDEX config_changes_actor ON config_changes (actor, time, id);
CREATE INDEX config_changes_actor_id ON config_changes (actor, id);
CREATE INDEX config_changes_object ON config_changes (object, time, id);
CREATE INDEX config_changes_object_id ON config_changes (object, id);

-- The parameters each configuration change touched, for the `parameter` filter.
CREATE TABLE config_change_params (
    change_id BIGINT NOT NULL REFERENCES config_changes (id) ON DELETE CASCADE,
    parameter TEXT NOT NULL,
    PRIMARY KEY (change_id, parameter)
);
CREATE INDEX config_change_params_parameter ON config_change_params (parameter, change_id);

CREATE TABLE recordings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT UNIQUE,
    session_id TEXT NOT NULL DEFAULT '',
    conference_id TEXT,
    title TEXT,
    title_sort TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    started_at TIMESTAMP NOT NULL,
    duration_s BIGINT NOT NULL DEFAULT 0,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    content_type TEXT NOT NULL DEFAULT 'video/webm',
    -- Name of the media file under the recordings directory; NULL until uploaded.
    storage_key TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX recordings_started ON recordings (started_at, id);
CREATE INDEX recordings_duration ON recordings (duration_s, id);
CREATE INDEX recordings_size ON recordings (size_bytes, id);
CREATE INDEX recordings_title ON recordings (title_sort, id);
CREATE INDEX recordings_owner ON recordings (owner, started_at, id);
CREATE INDEX recordings_session ON recordings (session_id);
CREATE INDEX recordings_conference ON recordings (conference_id, started_at, id);

CREATE TABLE endpoints (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL DEFAULT '',
    app TEXT NOT NULL DEFAULT '',
    app_version TEXT,
    type TEXT NOT NULL,
    os TEXT,
    cpu TEXT,
    ip TEXT NOT NULL DEFAULT '',
    last_conference TEXT,
    network_test TEXT,
    system_info TEXT,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX endpoints_last_seen ON endpoints (last_seen, id);
CREATE INDEX endpoints_first_seen ON endpoints (first_seen, id);
CREATE INDEX endpoints_user ON endpoints (user_id, id);
CREATE INDEX endpoints_app ON endpoints (app, id);
CREATE INDEX endpoints_ip ON endpoints (ip, id);
CREATE INDEX endpoints_type ON endpoints (type, last_seen, id);

CREATE TABLE admins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_failed_at TIMESTAMP,
    locked_until TIMESTAMP,
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    csv_delimiter TEXT NOT NULL DEFAULT 'comma',
    csv_bom BOOLEAN NOT NULL DEFAULT FALSE,
    date_format TEXT NOT NULL DEFAULT 'iso',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    admin_id BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);

CREATE TABLE oauth_apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    -- Space-separated granted scopes.
    scopes TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Source ids the ingest API has stored, per record kind: a replayed record is skipped.
CREATE TABLE ingest_keys (
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, source_id)
);
