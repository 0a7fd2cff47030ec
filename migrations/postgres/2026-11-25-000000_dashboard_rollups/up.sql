-- Dashboard rollups, kept in step with the events table by every insert and delete of events
-- (crates/store/src/rollups.rs), so that the dashboard reads a few thousand rows whatever the
-- size of the log. Quarter hours, because every time zone in use is a whole number of quarter
-- hours from UTC: a day cut in any of them is a run of whole buckets.

-- Events per type per quarter hour; `bucket` is unix seconds / 900.
CREATE TABLE event_counts (
    bucket BIGINT NOT NULL,
    type TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (bucket, type)
);

-- The same per hour (`hour` = unix seconds / 3600): a day in a zone a whole number of hours from
-- UTC reads 24 rows per type here instead of 96, the quarter hours only at the edges otherwise.
CREATE TABLE event_counts_hourly (
    hour BIGINT NOT NULL,
    type TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (hour, type)
);

-- Active users (a successful login or authorize of a user, not an administrator) per UTC day
-- (unix seconds / 86400), one bit per quarter hour of that day: quarters 0-47 in `early`,
-- 48-95 in `late`. Byte order (COLLATE "C") for user ids: counting distinct users sorts them,
-- and the locale's collation costs ten times as much for no use here.
CREATE TABLE user_activity (
    day BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    early BIGINT NOT NULL,
    late BIGINT NOT NULL,
    PRIMARY KEY (day, user_id)
);

-- The rows already stored are counted on the next start (rollups::rebuild_if_stale).
INSERT INTO settings (key, value) VALUES ('rollups_stale', 'true')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
