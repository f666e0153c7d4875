//! Opening the file: the exclusive lock, and the pragmas of write and read connections.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::checkpointer::WRITER_BACKSTOP_PAGES;
use crate::errors::OpenError;
use crate::options::SqliteOptions;

/// Statements kept prepared per connection; the store uses a few dozen.
const STATEMENT_CACHE: usize = 64;

/// The lock file beside the database: `<path>.lock`.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the OS lock that makes this process the file's only user, or says who has it.
///
/// SQLite's own locks would let a second process share the file; RustQueue
/// refuses that so any `INPROGRESS` task found at start belongs to a dead process.
pub(crate) fn lock_exclusive(path: &Path) -> Result<File, OpenError> {
    let lock = lock_path(path);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| OpenError::Lock {
            lock: lock.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(OpenError::Locked {
            path: path.to_owned(),
            lock,
        }),
        Err(TryLockError::Error(source)) => Err(OpenError::Lock { lock, source }),
    }
}

/// Opens the one connection that writes, switching the file to WAL mode.
pub(crate) fn open_writer(path: &Path, options: &SqliteOptions) -> Result<Connection, OpenError> {
    let open_error = |source| OpenError::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open(path).map_err(open_error)?;
    // WAL lets readers run beside the writer; the mode persists in the file.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(open_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NoWal {
            path: path.to_owned(),
            mode,
        });
    }
    configure_writer(&conn, options).map_err(open_error)?;
    Ok(conn)
}

fn configure_writer(conn: &Connection, options: &SqliteOptions) -> rusqlite::Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    conn.pragma_update(None, "synchronous", options.synchronous.as_pragma())?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 64 MiB of page cache keeps the hot indexes in memory under load.
    conn.pragma_update(None, "cache_size", -65_536)?;
    // Truncate the WAL back to 64 MiB after checkpoints so it does not stay huge.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    // Checkpoints run on their own thread (see `checkpointer`); this is the backstop.
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_BACKSTOP_PAGES)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Opens a connection that only reads.
pub(crate) fn open_reader(path: &Path, options: &SqliteOptions) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;
    conn.pragma_update(None, "query_only", true)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -16_384)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}
