//! Errors: what opening a store can fail with, and the one mapping of SQLite's
//! errors to the shared [`StoreError`].

use std::path::PathBuf;

use rusqlite::ErrorCode;

use rustqueue_core::store::StoreError;

/// Why a SQLite store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database URL is not a `sqlite://` URL naming a file.
    #[error("invalid sqlite url {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Another process (or another store in this one) has the database open.
    #[error("database {} is in use by another process (lock file {})", .path.display(), .lock.display())]
    Locked {
        /// The database file.
        path: PathBuf,
        /// The lock file held by the other owner.
        lock: PathBuf,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock {}: {source}", .lock.display())]
    Lock {
        /// The lock file.
        lock: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// SQLite could not open or configure the file.
    #[error("cannot open database {}: {source}", .path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite would not switch the file to write-ahead logging.
    #[error("cannot switch database {} to WAL mode (journal mode stays {mode})", .path.display())]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The file was written by a newer RustQueue whose schema this build does not know.
    #[error("database {} has schema version {found}, newer than the {known} this build knows", .path.display())]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The version found in the file.
        found: i64,
        /// The latest version this build can apply.
        known: usize,
    },
    /// A migration failed; the file is left at the version before it.
    #[error("cannot migrate database {} to version {version}: {source}", .path.display())]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The version that failed to apply.
        version: usize,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The writer thread could not be started.
    #[error("cannot start the sqlite writer thread: {0}")]
    Thread(#[source] std::io::Error),
}

impl From<OpenError> for StoreError {
    fn from(err: OpenError) -> Self {
        match err {
            OpenError::Locked { .. } => StoreError::unavailable(err),
            other => StoreError::other(other),
        }
    }
}

/// An error inside a store operation: from SQLite, or a decision of the operation.
#[derive(Debug)]
pub(crate) enum Fault {
    /// SQLite failed; mapped by [`store_error`] at the boundary.
    Sql(rusqlite::Error),
    /// The operation refused (not found, conflict) or failed outside SQLite.
    Store(StoreError),
}

impl From<rusqlite::Error> for Fault {
    fn from(err: rusqlite::Error) -> Self {
        Fault::Sql(err)
    }
}

impl From<StoreError> for Fault {
    fn from(err: StoreError) -> Self {
        Fault::Store(err)
    }
}

impl From<Fault> for StoreError {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Sql(err) => store_error(err),
            Fault::Store(err) => err,
        }
    }
}

/// Maps a SQLite error to the shared kinds: the one place this happens.
pub(crate) fn store_error(err: rusqlite::Error) -> StoreError {
    if matches!(err, rusqlite::Error::QueryReturnedNoRows) {
        return StoreError::NotFound;
    }
    match err.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::conflict(err),
        Some(ErrorCode::DiskFull) => StoreError::full(err),
        // Worth retrying: contention, or an I/O fault that may pass.
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::OutOfMemory
            | ErrorCode::FileLockingProtocolFailed,
        ) => StoreError::unavailable(err),
        _ => StoreError::other(err),
    }
}

/// A copy of a store error, for replying to every command of a failed commit.
pub(crate) fn copy(err: &StoreError) -> StoreError {
    err.copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_is_unavailable_and_constraint_is_conflict() {
        let sqlite = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        let busy = store_error(sqlite(rusqlite::ffi::SQLITE_BUSY));
        assert!(matches!(busy, StoreError::Unavailable(_)), "{busy:?}");
        let unique = store_error(sqlite(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE));
        assert!(matches!(unique, StoreError::Conflict(_)), "{unique:?}");
        let full = store_error(sqlite(rusqlite::ffi::SQLITE_FULL));
        assert!(matches!(full, StoreError::Full(_)), "{full:?}");
        let misuse = store_error(sqlite(rusqlite::ffi::SQLITE_MISUSE));
        assert!(matches!(misuse, StoreError::Other(_)), "{misuse:?}");
        assert!(matches!(
            store_error(rusqlite::Error::QueryReturnedNoRows),
            StoreError::NotFound
        ));
    }
}
