-- Up to max_tasks due tasks of one queue with limits, locked, that the
-- limits let start: at most `concurrency` of the queue's tasks run, and of
-- each key at most key_limits->key, else per_key_limit (the rule of
-- rustqueue_core::limits::Room). A task over a limit is skipped, never
-- waited on: each key is read apart, so a saturated key holds back no other.
--
-- Why the counts hold across nodes: every claim of this queue first takes
-- the queue's transaction-scoped advisory lock, held until its claim
-- commits. This function is plpgsql and VOLATILE, so under READ COMMITTED
-- each statement after the lock takes a new snapshot, which sees every
-- claim committed by earlier holders of the lock, even though the calling
-- statement (claim_tasks) took its snapshot before the lock. Finishes that
-- commit meanwhile only lower the counts. The caller's UPDATE, whose
-- snapshot is older, still finds the rows locked here: an update since its
-- snapshot is followed to the newest version (which these locks keep
-- QUEUED), and a row inserted since is left unclaimed, only fewer taken.
CREATE OR REPLACE FUNCTION limited_due_tasks(
    active       text,
    queue_limits jsonb,
    claim_now    timestamptz,
    types        text[],
    max_tasks    bigint
)
RETURNS TABLE (due_id text, due_priority integer, due_run_at timestamptz, place_id text, due_turn bigint)
LANGUAGE plpgsql VOLATILE
SET enable_sort = off
AS $$
DECLARE
    room bigint := max_tasks;
    running bigint;
    per_key bigint := (queue_limits->>'per_key_limit')::bigint;
    named jsonb := coalesce(queue_limits->'key_limits', jsonb_build_object());
    candidates text[];
BEGIN
    -- The key mixes in the schema, so stores sharing a database do not serialize each other.
    PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || '.' || active, 18));
    -- A new statement, so a new snapshot: see the comment above.
    IF queue_limits ? 'concurrency' THEN
        SELECT count(*) INTO running FROM tasks t
        WHERE t.status = 'INPROGRESS' AND t.queue = active;
        room := least(room, (queue_limits->>'concurrency')::bigint - running);
    END IF;
    IF room <= 0 THEN
        RETURN;
    END IF;
    IF per_key IS NULL AND named = jsonb_build_object() THEN
        -- Only the queue-wide limit: one walk in claim order.
        RETURN QUERY SELECT t.id, t.priority, t.run_at, t.id, NULL::bigint FROM tasks t
            WHERE t.status = 'QUEUED' AND t.queue = active
              AND t.run_at <= claim_now AND t.task_type = ANY(types)
            ORDER BY {claim_order:t.} LIMIT room
            FOR UPDATE SKIP LOCKED;
        RETURN;
    END IF;
    -- Candidates without locks (FOR UPDATE allows no UNION), the first `room`.
    SELECT array_agg(c.id ORDER BY {claim_order:c.}) INTO candidates
    FROM (SELECT * FROM key_candidates(active, queue_limits, room, claim_now, types) c
          ORDER BY {claim_order:c.} LIMIT room) c;
    -- Locking may skip a candidate another transaction holds: fewer are
    -- taken, never more than the room.
    RETURN QUERY SELECT t.id, t.priority, t.run_at, t.id, NULL::bigint FROM tasks t
        WHERE t.id = ANY(candidates) AND t.status = 'QUEUED'
        ORDER BY {claim_order:t.}
        FOR UPDATE SKIP LOCKED;
END
$$;
