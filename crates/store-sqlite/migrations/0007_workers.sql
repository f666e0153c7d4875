-- Who holds each running task's lease: a remote worker's id, or a server
-- node's identity (node:...) for its own attempts. Start-up recovery rescues
-- only a previous server process's attempts; remote workers keep theirs.
-- NULL while not running, and for tasks leased before this column existed.
ALTER TABLE tasks ADD COLUMN leased_by TEXT;

-- One record per worker (remote workers and server nodes), upserted when it
-- calls in, so that every worker and its last visit can be listed.
CREATE TABLE workers (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    types        TEXT NOT NULL,
    hostname     TEXT,
    pid          INTEGER,
    concurrency  INTEGER,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX workers_seen ON workers (last_seen_at);
