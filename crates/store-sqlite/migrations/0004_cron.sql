-- One record per cron entry: whether it runs, the time its ticks count from,
-- and the last tick it enqueued. Enqueuing a tick moves `last_tick` and
-- inserts the task in one transaction, so a tick is enqueued once.
-- Times are microseconds since the Unix epoch, as in `tasks`.
CREATE TABLE cron_entries (
    name TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 1,
    since INTEGER NOT NULL,
    last_tick INTEGER,
    last_task_id TEXT,
    last_enqueued_at INTEGER
) WITHOUT ROWID;
