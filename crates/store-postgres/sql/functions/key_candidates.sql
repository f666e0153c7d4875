-- The candidates of a claim in one key-limited queue, unlocked, with their
-- keys ('' for none): each ready key (a skip-scan of tasks_ready_by_key)
-- gives its first due tasks, at most its room (room, or less when the key
-- has a limit and tasks running), and the tasks without a key give at most
-- room. limited_due_tasks and fair_due_tasks pick among them. STABLE: it
-- reads in the caller's statement's snapshot, taken after the queue's lock.
CREATE OR REPLACE FUNCTION key_candidates(
    active       text,
    queue_limits jsonb,
    room         bigint,
    claim_now    timestamptz,
    types        text[]
)
RETURNS TABLE (id text, priority integer, run_at timestamptz, k text)
LANGUAGE sql STABLE
AS $$
    WITH RECURSIVE ready_keys(k) AS (
        SELECT min(t.concurrency_key) FROM tasks t
        WHERE t.status = 'QUEUED' AND t.queue = active AND t.concurrency_key IS NOT NULL
        UNION ALL
        SELECT (SELECT min(t.concurrency_key) FROM tasks t
                WHERE t.status = 'QUEUED' AND t.queue = active
                  AND t.concurrency_key IS NOT NULL AND t.concurrency_key > ready_keys.k)
        FROM ready_keys WHERE ready_keys.k IS NOT NULL
    ),
    key_room AS (
        SELECT l.k, CASE WHEN l.key_limit IS NULL THEN room ELSE least(room, l.key_limit - (
            SELECT count(*) FROM tasks t
            WHERE t.status = 'INPROGRESS' AND t.queue = active AND t.concurrency_key = l.k
        )) END AS n
        FROM (SELECT r.k, coalesce((queue_limits->'key_limits'->>r.k)::bigint,
                                   (queue_limits->>'per_key_limit')::bigint) AS key_limit
              FROM ready_keys r WHERE r.k IS NOT NULL) l
    )
    SELECT c.id, c.priority, c.run_at, kr.k FROM key_room kr
    CROSS JOIN LATERAL (
        SELECT t.id, t.priority, t.run_at FROM tasks t
        WHERE t.status = 'QUEUED' AND t.queue = active AND t.concurrency_key IS NOT NULL
          AND t.concurrency_key = kr.k AND t.run_at <= claim_now AND t.task_type = ANY(types)
        ORDER BY {claim_order:t.} LIMIT kr.n
    ) c
    WHERE kr.n > 0
    UNION ALL
    (SELECT t.id, t.priority, t.run_at, '' FROM tasks t
     WHERE t.status = 'QUEUED' AND t.queue = active AND t.concurrency_key IS NULL
       AND t.run_at <= claim_now AND t.task_type = ANY(types)
     ORDER BY {claim_order:t.} LIMIT room)
$$;
