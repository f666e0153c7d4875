-- Up to max_tasks due tasks of each active queue, locked (SKIP LOCKED, so
-- that claims from other nodes take other rows instead of waiting), highest
-- priority level first. Past 32 levels a queue's rest is read in one walk.
-- The caller merges the queues into claim order, by each task's place
-- (place_id: its own id but in a round-robin queue). A queue with limits is
-- read by limited_due_tasks instead, which keeps them, and a round-robin
-- queue by fair_due_tasks; unlimited queues keep this path unchanged but for
-- one primary key probe of queues per active queue.
CREATE OR REPLACE FUNCTION due_tasks(claim_now timestamptz, types text[], max_tasks bigint)
RETURNS TABLE (due_id text, due_priority integer, due_run_at timestamptz, place_id text, due_turn bigint)
LANGUAGE plpgsql
-- Each range is read in index order and stops at its limit, whatever stale
-- statistics say (see claim_tasks.sql).
SET enable_sort = off
AS $$
DECLARE
    active text;
    level integer;
    above bigint;
    levels integer;
    wanted bigint;
    taken bigint;
    queue_limits jsonb;
BEGIN
    -- active_queues comes in name order, so limited queues' advisory locks
    -- are taken in name order by every claim: no deadlock between claims.
    FOR active IN SELECT * FROM active_queues() LOOP
        SELECT q.limits INTO queue_limits FROM queues q WHERE q.name = active;
        IF queue_limits->>'fairness' = 'round_robin' THEN
            RETURN QUERY SELECT * FROM fair_due_tasks(active, queue_limits, claim_now, types, max_tasks);
            CONTINUE;
        END IF;
        IF queue_limits IS NOT NULL THEN
            RETURN QUERY SELECT * FROM limited_due_tasks(active, queue_limits, claim_now, types, max_tasks);
            CONTINUE;
        END IF;
        wanted := max_tasks;
        above := 2147483648;
        levels := 0;
        WHILE wanted > 0 LOOP
            level := next_level(active, above);
            EXIT WHEN level IS NULL;
            levels := levels + 1;
            IF levels > 32 THEN
                RETURN QUERY SELECT t.id, t.priority, t.run_at, t.id, NULL::bigint FROM tasks t
                    WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority < above
                      AND t.run_at <= claim_now AND t.task_type = ANY(types)
                    ORDER BY {claim_order:t.} LIMIT wanted
                    FOR UPDATE SKIP LOCKED;
                EXIT;
            END IF;
            RETURN QUERY SELECT t.id, t.priority, t.run_at, t.id, NULL::bigint FROM tasks t
                WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority = level
                  AND t.run_at <= claim_now AND t.task_type = ANY(types)
                ORDER BY {claim_order_in_level:t.} LIMIT wanted
                FOR UPDATE SKIP LOCKED;
            GET DIAGNOSTICS taken = ROW_COUNT;
            wanted := wanted - taken;
            above := level;
        END LOOP;
    END LOOP;
END
$$;
