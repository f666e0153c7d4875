-- Tasks, their history and queue states, in the schema first on the
-- connection's search_path. Payload and result are the client's JSON text,
-- verbatim (TEXT, not jsonb, which would re-encode it). Times are microseconds.
-- Names and ids collate as bytes ("C"): the order every RustQueue store
-- lists them in, and memcmp instead of locale rules in every index.
CREATE TABLE tasks (
    id               text COLLATE "C" PRIMARY KEY,
    task_type        text COLLATE "C" NOT NULL,
    payload          text NOT NULL,
    queue            text COLLATE "C" NOT NULL,
    priority         integer NOT NULL,
    status           text NOT NULL CHECK (status IN ('QUEUED', 'INPROGRESS', 'COMPLETED', 'FAILED')),
    attempts         bigint NOT NULL,
    max_retries      bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    run_at           timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    last_error       text,
    result           text,
    unique_key       text COLLATE "C",
    timeout_ms       bigint,
    lease_token      bigint,
    lease_expires_at timestamptz,
    -- A lease exists exactly while the task runs, so a guard on the token
    -- alone means "still running under this lease".
    CONSTRAINT lease_while_running CHECK (CASE WHEN status = 'INPROGRESS'
        THEN lease_token IS NOT NULL AND lease_expires_at IS NOT NULL
        ELSE lease_token IS NULL AND lease_expires_at IS NULL END)
);

-- Claims walk this in claim order and stop after LIMIT matches. Partial:
-- finished tasks (the bulk of the table) cost nothing here.
CREATE INDEX tasks_ready ON tasks (priority DESC, run_at, id)
    WHERE status = 'QUEUED';

-- The reaper's search for lapsed leases; holds only running tasks.
CREATE INDEX tasks_leased ON tasks (lease_expires_at)
    WHERE status = 'INPROGRESS';

-- Failed tasks are few: this makes listing and retrying them cheap while
-- costing the hot path nothing (no successful task ever enters it).
CREATE INDEX tasks_failed ON tasks (id)
    WHERE status = 'FAILED';

-- At most one unfinished task per key; inserts name it in ON CONFLICT, and
-- it is the look-up for the holder of a key.
CREATE UNIQUE INDEX tasks_unique_key ON tasks (unique_key)
    WHERE unique_key IS NOT NULL AND status IN ('QUEUED', 'INPROGRESS');

-- One row per transition. The primary key is also the read path: a task's
-- history is one range, in the order the sequence handed out (transitions of
-- one task commit one after another, so their numbers rise).
CREATE TABLE task_events (
    task_id text COLLATE "C" NOT NULL,
    seq     bigint GENERATED ALWAYS AS IDENTITY,
    at      timestamptz NOT NULL,
    kind    text NOT NULL,
    attempt bigint NOT NULL,
    message text,
    PRIMARY KEY (task_id, seq)
);

-- How many tasks each (queue, type) has in each status: the sum of `n` over
-- the slots. Every statement that changes tasks adds its deltas here in the
-- same statement, so counting never touches `tasks`. A statement writes the
-- slot of its connection (backend pid modulo 16), so nodes and connections
-- updating the same group rarely wait on one row lock, and the rows of one
-- statement are locked in key order, so two statements cannot deadlock here.
CREATE TABLE task_counts (
    queue     text COLLATE "C" NOT NULL,
    task_type text COLLATE "C" NOT NULL,
    status    text NOT NULL,
    slot      integer NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (queue, task_type, status, slot)
);

-- Queues someone paused or resumed; queues that only have tasks need no row.
CREATE TABLE queues (
    name       text COLLATE "C" PRIMARY KEY,
    paused     boolean NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Leases up to max_tasks ready tasks (QUEUED, due, of the given types, in
-- unpaused queues) in claim order, each with a `started` event, and returns
-- them in that order. One statement: the lock, the update and the events
-- commit together.
--
-- A function only for its SET: it makes the planner walk tasks_ready in claim
-- order and stop at the limit. With statistics from before a burst of inserts
-- (ANALYZE lags behind a queue's churn) it would rather fetch and sort every
-- ready task, which costs seconds per claim once the backlog is large.
CREATE FUNCTION claim_tasks(
    claim_now timestamptz,
    token     bigint,
    expires   timestamptz,
    types     text[],
    max_tasks bigint
) RETURNS SETOF tasks
LANGUAGE sql
SET enable_sort = off
AS $$
    WITH ready AS (
        SELECT id FROM tasks
        WHERE status = 'QUEUED' AND run_at <= claim_now AND task_type = ANY(types)
          AND queue NOT IN (SELECT name FROM queues WHERE paused)
        ORDER BY priority DESC, run_at, id
        LIMIT max_tasks
        -- SKIP LOCKED lets many nodes claim at once: each claim locks the rows
        -- it picks, and a concurrent claim walking the same index skips them
        -- instead of waiting for that transaction to commit (and then finding
        -- them taken). Plain FOR UPDATE would queue claims behind one another.
        FOR UPDATE SKIP LOCKED
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

-- Periodic jobs (the reaper) take turns here, so that each runs once per
-- tick across all the nodes sharing the schema rather than once per node.
CREATE TABLE periodic_turns (
    job     text COLLATE "C" PRIMARY KEY,
    last_at timestamptz NOT NULL
);
