-- Round-robin queues: when each key of a queue last started a task (its
-- turn; larger is more recent), so that the next claim starts the least
-- recently started key first. '' stands for the tasks without a key. Only
-- claims of round-robin queues read or write it, under the queue's
-- advisory lock.
CREATE TABLE key_turns (
    queue text NOT NULL,
    key text NOT NULL,
    turn bigint NOT NULL,
    PRIMARY KEY (queue, key)
);

-- The queue's latest turn, which the next claim's turns follow.
CREATE INDEX key_turns_latest ON key_turns (queue, turn);

-- The due-task functions now also return each task's place in claim order
-- and its key's new turn (sql/functions/), a new return type that CREATE OR
-- REPLACE cannot give: drop them (a schema migrated from scratch has none
-- yet), and the connect recreates them.
DROP FUNCTION IF EXISTS due_tasks(timestamptz, text[], bigint);
DROP FUNCTION IF EXISTS limited_due_tasks(text, jsonb, timestamptz, text[], bigint);
