-- Claims read the ready tasks per unpaused queue and per priority level, as a
-- range of run_at: queue first, so a paused queue's backlog is never stepped
-- over, and run_at right after priority, so neither are tasks scheduled for
-- later. The old order (priority first) made every claim, and every look-up
-- of the next run time, read past both.
DROP INDEX tasks_ready;
CREATE INDEX tasks_ready ON tasks (queue, priority DESC, run_at, id)
    WHERE status = 'QUEUED';

-- Unpaused queues with queued tasks, found in tasks_ready itself (one seek
-- from each queue name to the next), not in task_counts: a claim must never
-- depend on a derived number being right.
CREATE FUNCTION active_queues() RETURNS SETOF text
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

-- The highest priority level below `above` among a queue's queued tasks
-- (NULL when none is left): one seek in tasks_ready.
CREATE FUNCTION next_level(queue_name text, above bigint) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT t.priority FROM tasks t
    WHERE t.status = 'QUEUED' AND t.queue = queue_name AND t.priority < above
    ORDER BY t.priority DESC LIMIT 1
$$;

-- Up to max_tasks due tasks of each active queue, locked (SKIP LOCKED, so
-- that claims from other nodes take other rows instead of waiting), highest
-- priority level first. Past 32 levels a queue's rest is read in one walk.
-- The caller merges the queues into claim order.
CREATE FUNCTION due_tasks(claim_now timestamptz, types text[], max_tasks bigint)
RETURNS TABLE (due_id text, due_priority integer, due_run_at timestamptz)
LANGUAGE plpgsql
-- Each range is read in index order and stops at its limit, whatever stale
-- statistics say (see claim_tasks in 0001).
SET enable_sort = off
AS $$
DECLARE
    active text;
    level integer;
    above bigint;
    levels integer;
    wanted bigint;
    taken bigint;
BEGIN
    FOR active IN SELECT * FROM active_queues() LOOP
        wanted := max_tasks;
        above := 2147483648;
        levels := 0;
        WHILE wanted > 0 LOOP
            level := next_level(active, above);
            EXIT WHEN level IS NULL;
            levels := levels + 1;
            IF levels > 32 THEN
                RETURN QUERY SELECT t.id, t.priority, t.run_at FROM tasks t
                    WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority < above
                      AND t.run_at <= claim_now AND t.task_type = ANY(types)
                    ORDER BY t.priority DESC, t.run_at, t.id LIMIT wanted
                    FOR UPDATE SKIP LOCKED;
                EXIT;
            END IF;
            RETURN QUERY SELECT t.id, t.priority, t.run_at FROM tasks t
                WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority = level
                  AND t.run_at <= claim_now AND t.task_type = ANY(types)
                ORDER BY t.run_at, t.id LIMIT wanted
                FOR UPDATE SKIP LOCKED;
            GET DIAGNOSTICS taken = ROW_COUNT;
            wanted := wanted - taken;
            above := level;
        END LOOP;
    END LOOP;
END
$$;

-- The earliest run_at among queued tasks of the types in unpaused queues,
-- read per queue and priority level like due_tasks.
CREATE FUNCTION next_run_at(types text[]) RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET enable_sort = off
AS $$
DECLARE
    active text;
    level integer;
    above bigint;
    levels integer;
    first timestamptz;
    earliest timestamptz;
BEGIN
    FOR active IN SELECT * FROM active_queues() LOOP
        above := 2147483648;
        levels := 0;
        LOOP
            level := next_level(active, above);
            EXIT WHEN level IS NULL;
            levels := levels + 1;
            IF levels > 32 THEN
                SELECT min(t.run_at) INTO first FROM tasks t
                WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority < above
                  AND t.task_type = ANY(types);
                earliest := least(earliest, first);
                EXIT;
            END IF;
            SELECT t.run_at INTO first FROM tasks t
            WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority = level
              AND t.task_type = ANY(types)
            ORDER BY t.run_at LIMIT 1;
            earliest := least(earliest, first);
            above := level;
        END LOOP;
    END LOOP;
    RETURN earliest;
END
$$;

-- As before (0001), with the due tasks found by due_tasks.
CREATE OR REPLACE FUNCTION claim_tasks(
    claim_now timestamptz,
    token     bigint,
    expires   timestamptz,
    types     text[],
    max_tasks bigint
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
            updated_at = claim_now, lease_token = token, lease_expires_at = expires
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
