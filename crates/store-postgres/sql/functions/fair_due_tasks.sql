-- Up to max_tasks due tasks of one round-robin queue, locked, that its
-- limits let start, in round-robin order (rustqueue_core::fairness): by
-- priority, then by the task's rank among its key's tasks of that level,
-- then by its key's turn in key_turns (never started first), then by where
-- its key's first task of that level stands in claim order. '' is the key
-- of the tasks without one.
--
-- Each row also says the place in claim order it takes (place_id with
-- due_priority and due_run_at: the picks' own places, handed out in sorted
-- order), so that claim_tasks, which merges queues by place, keeps this
-- order, and the turn its key takes if the claim keeps it (the queue's
-- latest turn plus the pick's rank). The queue's advisory lock, held until
-- the claim commits, serializes its claims on every node, and this
-- function reads the turns after taking it (see limited_due_tasks.sql on
-- snapshots), so each claim sees the turns the one before it wrote.
CREATE OR REPLACE FUNCTION fair_due_tasks(
    active       text,
    queue_limits jsonb,
    claim_now    timestamptz,
    types        text[],
    max_tasks    bigint
)
RETURNS TABLE (due_id text, due_priority integer, due_run_at timestamptz, place_id text, due_turn bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    room bigint := max_tasks;
    running bigint;
    latest bigint;
    chosen text[];
    locked text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || '.' || active, 18));
    IF queue_limits ? 'concurrency' THEN
        SELECT count(*) INTO running FROM tasks t
        WHERE t.status = 'INPROGRESS' AND t.queue = active;
        room := least(room, (queue_limits->>'concurrency')::bigint - running);
    END IF;
    IF room <= 0 THEN
        RETURN;
    END IF;
    SELECT coalesce(max(kt.turn), 0) INTO latest FROM key_turns kt WHERE kt.queue = active;
    -- The candidates of a limited queue (key_candidates), in round-robin
    -- order, the first `room`.
    WITH offered AS (
        SELECT * FROM key_candidates(active, queue_limits, room, claim_now, types)
    ),
    ranked AS (
        SELECT o.id, o.priority, o.k,
               row_number() OVER (PARTITION BY o.k, o.priority ORDER BY {claim_order:o.}) AS key_rank,
               row_number() OVER (ORDER BY {claim_order:o.}) AS position
        FROM offered o
    ),
    headed AS (
        SELECT r.*, min(r.position) OVER (PARTITION BY r.k, r.priority) AS head, kt.turn
        FROM ranked r LEFT JOIN key_turns kt ON kt.queue = active AND kt.key = r.k
    )
    SELECT array_agg(f.id ORDER BY f.priority DESC, f.key_rank, f.turn NULLS FIRST, f.head)
    INTO chosen
    FROM (SELECT * FROM headed h
          ORDER BY h.priority DESC, h.key_rank, h.turn NULLS FIRST, h.head
          LIMIT room) f;
    -- Locking may skip a candidate another transaction holds: fewer are
    -- taken, never more than the room.
    SELECT array_agg(t.id) INTO locked FROM (
        SELECT t.id FROM tasks t
        WHERE t.id = ANY(chosen) AND t.status = 'QUEUED'
        ORDER BY t.id
        FOR UPDATE SKIP LOCKED
    ) t;
    RETURN QUERY
    WITH picks AS (
        SELECT c.id, row_number() OVER (ORDER BY c.ord) AS pick
        FROM unnest(chosen) WITH ORDINALITY AS c (id, ord)
        WHERE c.id = ANY(locked)
    ),
    places AS (
        SELECT t.id, t.priority, t.run_at, row_number() OVER (ORDER BY {claim_order:t.}) AS place
        FROM tasks t WHERE t.id = ANY(ARRAY(SELECT p.id FROM picks p))
    )
    SELECT p.id, pl.priority, pl.run_at, pl.id, latest + p.pick
    FROM picks p JOIN places pl ON pl.place = p.pick;
END
$$;
