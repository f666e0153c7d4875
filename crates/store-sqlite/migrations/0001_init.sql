-- Tasks, their history and queue states. Times are INTEGER microseconds since
-- the Unix epoch; payload and result are the client's JSON text, verbatim.
CREATE TABLE tasks (
    id               TEXT PRIMARY KEY NOT NULL,
    task_type        TEXT NOT NULL,
    payload          TEXT NOT NULL,
    queue            TEXT NOT NULL,
    priority         INTEGER NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    max_retries      INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    last_error       TEXT,
    result           TEXT,
    unique_key       TEXT,
    timeout_ms       INTEGER,
    lease_token      INTEGER,
    lease_expires_at INTEGER
) STRICT;

-- Claims walk this in claim order and stop after LIMIT matches. Type and queue
-- ride along so rows of other types or paused queues are skipped without a
-- table lookup. Partial: finished tasks (the bulk of the table) cost nothing.
CREATE INDEX tasks_ready ON tasks (priority DESC, run_at, id, task_type, queue)
    WHERE status = 'QUEUED';

-- The reaper's search for lapsed leases; holds only running tasks.
CREATE INDEX tasks_leased ON tasks (lease_expires_at)
    WHERE status = 'INPROGRESS';

-- Failed tasks are few: this makes counting, listing and retrying them cheap
-- while costing the hot path nothing (no successful task ever enters it).
CREATE INDEX tasks_failed ON tasks (id)
    WHERE status = 'FAILED';

-- Distinct queue names by index seeks; written once per task, never updated.
CREATE INDEX tasks_queue ON tasks (queue);

-- At most one unfinished task per key; also the look-up for duplicates.
CREATE UNIQUE INDEX tasks_unique_key ON tasks (unique_key)
    WHERE unique_key IS NOT NULL AND status IN ('QUEUED', 'INPROGRESS');

-- One row per transition. Clustered on (task_id, seq) so a task's history is
-- one range and an insert touches a single b-tree; seq counts up per task.
CREATE TABLE task_events (
    task_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    message TEXT,
    PRIMARY KEY (task_id, seq)
) STRICT, WITHOUT ROWID;

-- Queues someone paused or resumed; queues that only have tasks need no row.
CREATE TABLE queues (
    name       TEXT PRIMARY KEY NOT NULL,
    paused     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
