-- Who holds each running task's lease: a remote worker's id, or a server
-- node's identity (node:...) for its own attempts. NULL while not running,
-- and for tasks leased before this column existed. A nullable column without
-- a default is added without rewriting the table.
ALTER TABLE tasks ADD COLUMN leased_by text;

-- As before (0005), also writing the lease holder. The old signature is
-- dropped so that no node calls a claim that leaves the holder out.
DROP FUNCTION claim_tasks(timestamptz, bigint, timestamptz, text[], bigint);
CREATE FUNCTION claim_tasks(
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
        SELECT d.due_id AS id FROM due_tasks(claim_now, types, max_tasks) d
        ORDER BY d.due_priority DESC, d.due_run_at, d.due_id
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
    )
    SELECT * FROM claimed ORDER BY priority DESC, run_at, id
$$;

-- One record per worker (remote workers and server nodes), upserted when it
-- calls in (at most every few seconds per node), so that every node can list
-- every worker and its last visit.
CREATE TABLE workers (
    id           text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('local', 'remote')),
    types        text[] NOT NULL,
    hostname     text,
    pid          bigint,
    concurrency  bigint,
    last_seen_at timestamptz NOT NULL
);

CREATE INDEX workers_seen ON workers (last_seen_at);
