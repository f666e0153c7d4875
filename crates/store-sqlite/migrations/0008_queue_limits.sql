-- Flow control: a task's concurrency key (NULL: held only by the queue-wide
-- limit) and a queue's limits as the QueueLimits JSON (NULL: unlimited).
-- Nullable columns without a default rewrite no rows.
ALTER TABLE tasks ADD COLUMN concurrency_key TEXT;
ALTER TABLE queues ADD COLUMN limits TEXT;

-- What runs per queue and key: a limited claim counts it, and key usage
-- groups it, without reading finished tasks.
CREATE INDEX tasks_running ON tasks (queue, concurrency_key)
    WHERE status = 'INPROGRESS';

-- Ready keyed tasks per key, in claim order within the key: a limited claim
-- jumps from key to key, so a saturated key's backlog is never stepped over.
-- Tasks without a key stay out, so unlimited workloads pay nothing for it.
CREATE INDEX tasks_ready_by_key ON tasks (queue, concurrency_key, priority DESC, run_at, id, task_type)
    WHERE status = 'QUEUED' AND concurrency_key IS NOT NULL;
