-- Round-robin queues: when each key of a queue last started a task (its
-- turn; larger is more recent), so that the next claim starts the least
-- recently started key first. '' stands for the tasks without a key. Only
-- claims of round-robin queues read or write it.
CREATE TABLE key_turns (
    queue TEXT NOT NULL,
    key TEXT NOT NULL,
    turn INTEGER NOT NULL,
    PRIMARY KEY (queue, key)
) WITHOUT ROWID;

-- The queue's latest turn, which the next claim's turns follow.
CREATE INDEX key_turns_latest ON key_turns (queue, turn);
