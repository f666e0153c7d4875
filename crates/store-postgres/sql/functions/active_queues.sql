-- Unpaused queues with queued tasks, found in tasks_ready itself (one seek
-- from each queue name to the next), not in task_counts: a claim must never
-- depend on a derived number being right.
CREATE OR REPLACE FUNCTION active_queues() RETURNS SETOF text
LANGUAGE sql STABLE
AS $$
    WITH RECURSIVE queued(name) AS (
        SELECT min(t.queue) FROM tasks t WHERE t.status = 'QUEUED'
        UNION ALL
        SELECT (SELECT min(t.queue) FROM tasks t WHERE t.status = 'QUEUED' AND t.queue > queued.name)
        FROM queued WHERE queued.name IS NOT NULL
    )
    SELECT queued.name FROM queued
    WHERE queued.name IS NOT NULL
      AND queued.name NOT IN (SELECT q.name FROM queues q WHERE q.paused)
$$;
