-- One record per cron entry, shared by every node: whether it runs, the time
-- its ticks count from, and the last tick it enqueued. A node enqueues a tick
-- by moving `last_tick` from the value it read (compare-and-set) and
-- inserting the task in the same transaction, so a tick is enqueued once
-- however many nodes race for it, even after that task finished.
CREATE TABLE cron_entries (
    name text PRIMARY KEY,
    enabled boolean NOT NULL DEFAULT true,
    since timestamptz NOT NULL,
    last_tick timestamptz,
    last_task_id text,
    last_enqueued_at timestamptz
);
