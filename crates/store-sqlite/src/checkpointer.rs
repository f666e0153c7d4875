//! Checkpoints off the writer's thread.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its
//! threshold, on the writer thread, and in WAL mode the checkpoint is where
//! the database file is fsynced: every caller in that group, and every group
//! queued behind it, waited milliseconds for it (the p99 of enqueue-to-start
//! went from 1.2 ms to 4.7 ms). A thread of its own now runs a PASSIVE
//! checkpoint a few times a second on its own connection: it copies what
//! the WAL holds into the database beside the writer, never blocking it. The
//! writer keeps a far larger automatic threshold, as a backstop should this
//! thread ever fall behind.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::errors::OpenError;
use crate::options::SqliteOptions;

/// How often the WAL is copied into the database.
const EVERY: Duration = Duration::from_millis(100);

/// WAL pages after which the writer checkpoints by itself (about 40 MiB of
/// 4 KiB pages); SQLite's default is 1,000.
pub(crate) const WRITER_BACKSTOP_PAGES: i64 = 10_000;

/// The checkpoint thread; stopped and joined when dropped.
pub(crate) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection to `path` and starts checkpointing on it.
    pub(crate) fn start(path: &Path, options: &SqliteOptions) -> Result<Self, OpenError> {
        let open_error = |source| OpenError::Open {
            path: path.to_owned(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        conn.busy_timeout(options.busy_timeout)
            .map_err(open_error)?;
        // The checkpoint's fsync follows the connection's own setting.
        conn.pragma_update(None, "synchronous", options.synchronous.as_pragma())
            .map_err(open_error)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("rustqueue-sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    checkpoint(&conn);
                }
            })
            .map_err(OpenError::Thread)?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// One PASSIVE checkpoint: as much of the WAL as no reader still needs.
fn checkpoint(conn: &Connection) {
    let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        row.get::<_, i64>(0)
    });
    // A full disk or a busy file fails this round only; the next one retries,
    // and the writer's backstop keeps the WAL bounded meanwhile.
    if let Err(error) = done {
        tracing::warn!(%error, "sqlite checkpoint failed; retrying");
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
