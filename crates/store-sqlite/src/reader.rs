//! The read pool: a few read-only connections, used on tokio's blocking threads.
//!
//! In WAL mode readers see the last commit and never wait for the writer, so
//! reads do not queue behind group commits.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::connection::open_reader;
use crate::errors::Fault;
use crate::options::SqliteOptions;

use rustqueue_core::store::{StoreError, StoreResult};

/// Read connections, opened on first use and reused.
pub(crate) struct Readers {
    path: PathBuf,
    options: SqliteOptions,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection that may be open at once.
    permits: Semaphore,
}

impl Readers {
    /// A pool for the file at `path`, at most `options.read_connections` wide.
    pub(crate) fn new(path: PathBuf, options: SqliteOptions) -> Arc<Self> {
        let width = options.read_connections.max(1);
        Arc::new(Self {
            path,
            options,
            idle: Mutex::new(Vec::with_capacity(width)),
            permits: Semaphore::new(width),
        })
    }

    /// Runs `work` on a read connection on a blocking thread.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Fault> + Send + 'static,
    {
        let _permit =
            self.permits.acquire().await.map_err(|_| {
                StoreError::unavailable("the sqlite read pool is closed".to_owned())
            })?;
        let pool = Arc::clone(self);
        let joined = tokio::task::spawn_blocking(move || {
            let conn = pool.checkout()?;
            let outcome = work(&conn);
            pool.checkin(conn);
            outcome
        })
        .await;
        match joined {
            Ok(outcome) => outcome.map_err(StoreError::from),
            Err(err) => Err(StoreError::other(format!("sqlite read task failed: {err}"))),
        }
    }

    fn checkout(&self) -> Result<Connection, Fault> {
        let idle = self.lock().pop();
        match idle {
            Some(conn) => Ok(conn),
            None => Ok(open_reader(&self.path, &self.options)?),
        }
    }

    fn checkin(&self, conn: Connection) {
        self.lock().push(conn);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The list is only pushed and popped; a panic elsewhere cannot leave it half-changed.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
