DROP TABLE user_activity;
DROP TABLE event_counts_hourly;
DROP TABLE event_counts;
DELETE FROM settings WHERE key = 'rollups_stale';
