-- Leases up to max_tasks ready tasks (QUEUED, due, of the given types, in
-- unpaused queues) in claim order (round-robin within a round-robin queue)
-- to a holder, each with a `started` event, and returns them in that order. One statement: the lock, the update and
-- the events commit together. The due tasks come from due_tasks, which walks
-- tasks_ready per queue and priority level with SET enable_sort = off: with
-- statistics from before a burst of inserts (ANALYZE lags behind a queue's
-- churn) the planner would rather fetch and sort every ready task, which
-- costs seconds per claim once the backlog is large.
CREATE OR REPLACE FUNCTION claim_tasks(
    claim_now timestamptz,
    token     bigint,
    expires   timestamptz,
    types     text[],
    max_tasks bigint,
    holder    text
) RETURNS SETOF tasks
LANGUAGE sql
AS $$
    WITH ready AS (
        -- Merged by place: a round-robin queue's picks keep their order.
        SELECT d.due_id AS id, d.due_turn AS turn,
               row_number() OVER (ORDER BY d.due_priority DESC, d.due_run_at, d.place_id) AS ord
        FROM due_tasks(claim_now, types, max_tasks) d
        ORDER BY d.due_priority DESC, d.due_run_at, d.place_id
        LIMIT max_tasks
    ),
    claimed AS (
        -- Primary key probes for the picked rows: a join would let the planner
        -- hash the whole table.
        UPDATE tasks t
        SET status = 'INPROGRESS', attempts = t.attempts + 1, started_at = claim_now,
            updated_at = claim_now, lease_token = token, lease_expires_at = expires,
            leased_by = holder
        WHERE t.id = ANY(ARRAY(SELECT id FROM ready))
        RETURNING t.*
    ),
    started AS (
        INSERT INTO task_events (task_id, at, kind, attempt)
        SELECT id, claim_now, 'started', attempts FROM claimed
    ),
    counted AS (
        INSERT INTO task_counts AS tc (queue, task_type, status, slot, n)
        SELECT queue, task_type, moved.status, pg_backend_pid() % 16, sum(moved.delta)
        FROM claimed CROSS JOIN (VALUES ('QUEUED', -1), ('INPROGRESS', 1)) AS moved (status, delta)
        GROUP BY queue, task_type, moved.status
        ORDER BY queue, task_type, moved.status
        ON CONFLICT (queue, task_type, status, slot) DO UPDATE SET n = tc.n + excluded.n
    ),
    turned AS (
        -- The keys of round-robin picks this claim kept take their turns.
        INSERT INTO key_turns AS kt (queue, key, turn)
        SELECT c.queue, coalesce(c.concurrency_key, ''), max(r.turn)
        FROM claimed c JOIN ready r ON r.id = c.id
        WHERE r.turn IS NOT NULL
        GROUP BY c.queue, coalesce(c.concurrency_key, '')
        ON CONFLICT (queue, key) DO UPDATE SET turn = greatest(kt.turn, excluded.turn)
    )
    SELECT c.* FROM claimed c JOIN ready r ON r.id = c.id ORDER BY r.ord
$$;
