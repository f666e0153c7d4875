-- Dashboard reads that must stay cheap with millions of tasks: per-group
-- counters, indexes that walk each filter in id order, a trigram search
-- index, and what lets a creation-time bound become an id bound.

-- How many tasks each (queue, type) has in each status. The store changes it
-- in the transaction of every change, so counting never touches `tasks`.
CREATE TABLE task_counts (
    queue     TEXT NOT NULL,
    task_type TEXT NOT NULL,
    status    TEXT NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (queue, task_type, status)
) STRICT, WITHOUT ROWID;

INSERT INTO task_counts (queue, task_type, status, count)
    SELECT queue, task_type, status, count(*) FROM tasks GROUP BY queue, task_type, status;

-- Pages walk one of these in id order (ids sort by creation) and stop at
-- LIMIT. Type and queue never change, so each costs one write per insert and
-- none per transition. The queue index also serves the distinct-queue walk.
CREATE INDEX tasks_type ON tasks (task_type, id);
DROP INDEX tasks_queue;
CREATE INDEX tasks_queue ON tasks (queue, id);

-- Queued and failed tasks by status in id order. Left out: COMPLETED, the
-- bulk of the table, whose pages walk the primary key where nearly every row
-- is COMPLETED; and INPROGRESS, at most one task per running worker, whose
-- pages sort the few rows of `tasks_leased`. Each would cost every drained
-- task index writes (claim and finish) for a page people rarely open. Queries
-- repeat `status IN ('QUEUED', 'FAILED')` so SQLite may use the index. It
-- replaces `tasks_failed`.
CREATE INDEX tasks_status ON tasks (status, id) WHERE status IN ('QUEUED', 'FAILED');
DROP INDEX tasks_failed;

-- Substring search over id and payload. Trigrams find candidates (case
-- folded, any three characters); the store re-checks each candidate for the
-- exact rule. Only the index is kept: no copy of the text (contentless), no
-- positions (detail=none, as candidates are re-checked), no sizes
-- (columnsize=0, as nothing ranks). Deleting a row hands FTS5 its old text.
-- A row's rowid is its task's rowid: `tasks` has indexes, so even VACUUM
-- keeps its rowids.
CREATE VIRTUAL TABLE task_search USING fts5 (
    id, payload,
    content = '', columnsize = 0, detail = 'none', tokenize = 'trigram'
);
INSERT INTO task_search (rowid, id, payload) SELECT rowid, id, payload FROM tasks;

-- How far the millisecond time in task ids (UUIDv7) strays from created_at,
-- over every task stored since the last clear. Bounds on created_at become
-- bounds on id widened by these, so a time filter walks a range of the
-- primary key and can never miss a task. `untimed` is set once any id is not
-- a lowercase UUIDv7; then no id bound is used.
CREATE TABLE task_id_clock (
    only     INTEGER PRIMARY KEY CHECK (only = 1),
    min_skew INTEGER,
    max_skew INTEGER,
    untimed  INTEGER NOT NULL
) STRICT;

WITH shaped AS (
    SELECT created_at, substr(id, 1, 8) || substr(id, 10, 4) AS hex
    FROM tasks
    WHERE length(id) = 36 AND substr(id, 9, 1) = '-' AND substr(id, 14, 1) = '-'
      AND substr(id, 15, 1) = '7' AND substr(id, 19, 1) = '-' AND substr(id, 24, 1) = '-'
),
timed AS (
    SELECT ((instr('0123456789abcdef', substr(hex, 1, 1)) - 1) << 44)
         + ((instr('0123456789abcdef', substr(hex, 2, 1)) - 1) << 40)
         + ((instr('0123456789abcdef', substr(hex, 3, 1)) - 1) << 36)
         + ((instr('0123456789abcdef', substr(hex, 4, 1)) - 1) << 32)
         + ((instr('0123456789abcdef', substr(hex, 5, 1)) - 1) << 28)
         + ((instr('0123456789abcdef', substr(hex, 6, 1)) - 1) << 24)
         + ((instr('0123456789abcdef', substr(hex, 7, 1)) - 1) << 20)
         + ((instr('0123456789abcdef', substr(hex, 8, 1)) - 1) << 16)
         + ((instr('0123456789abcdef', substr(hex, 9, 1)) - 1) << 12)
         + ((instr('0123456789abcdef', substr(hex, 10, 1)) - 1) << 8)
         + ((instr('0123456789abcdef', substr(hex, 11, 1)) - 1) << 4)
         + (instr('0123456789abcdef', substr(hex, 12, 1)) - 1)
         -- created_at in whole milliseconds, rounded down even before 1970.
         - (created_at - ((created_at % 1000) + 1000) % 1000) / 1000 AS skew
    FROM shaped
    WHERE hex NOT GLOB '*[^0-9a-f]*'
)
INSERT INTO task_id_clock (only, min_skew, max_skew, untimed)
    SELECT 1, min(skew), max(skew), (SELECT count(*) FROM tasks) > count(*) FROM timed;
