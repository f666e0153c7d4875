-- Flow control (queue limits). A task's concurrency key, NULL for tasks held
-- only by the queue-wide limit; a queue's limits as the QueueLimits JSON,
-- NULL when unlimited. Nullable columns without defaults: no table rewrite.
ALTER TABLE tasks ADD COLUMN concurrency_key text;
ALTER TABLE queues ADD COLUMN limits jsonb;

-- Running tasks per queue and key: what a limited claim counts.
CREATE INDEX tasks_running_by_key ON tasks (queue, concurrency_key)
    WHERE status = 'INPROGRESS';

-- Ready keyed tasks per queue and key in claim order: a limited claim walks
-- the distinct keys and takes each key's room from here. Unkeyed tasks stay
-- out, so unlimited workloads pay nothing to maintain it.
CREATE INDEX tasks_ready_by_key ON tasks (queue, concurrency_key, priority DESC, run_at, id)
    WHERE status = 'QUEUED' AND concurrency_key IS NOT NULL;
