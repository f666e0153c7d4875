//! The stored side of workers: one small record per worker (remote workers
//! and server nodes alike), upserted when it calls in, so that every node
//! can list every worker and when each was last seen.

use crate::task::Timestamp;

/// Whether a worker is a server node's own pool or a remote process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkerKind {
    /// A server node running tasks itself.
    Local,
    /// A process using the worker protocol.
    Remote,
}

impl WorkerKind {
    /// The stored and wire name: `local` or `remote`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerKind::Local => "local",
            WorkerKind::Remote => "remote",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "local" => Some(WorkerKind::Local),
            "remote" => Some(WorkerKind::Remote),
            _ => None,
        }
    }
}

/// What a worker last said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRecord {
    /// The worker's id (for a node, its lease-holder identity).
    pub id: String,
    /// Local or remote.
    pub kind: WorkerKind,
    /// The task types it asked for (or runs); when recording, empty keeps
    /// the stored ones (a heartbeat names no types).
    pub types: Vec<String>,
    /// Its host, if it said; when recording, `None` keeps the stored one.
    pub hostname: Option<String>,
    /// Its process id, if it said; when recording, `None` keeps the stored one.
    pub pid: Option<u32>,
    /// How many attempts it runs at once, if it said; `None` keeps the stored one.
    pub concurrency: Option<u32>,
    /// When it last called in.
    pub last_seen_at: Timestamp,
}
