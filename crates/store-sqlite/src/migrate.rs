//! Versioned schema migrations, embedded in the binary and applied at open.
//!
//! The file's version is `PRAGMA user_version`: the number of migrations applied.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::errors::OpenError;

/// Every migration in order; migration `n` (from 1) brings the file to version `n`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_pages_search_counters.sql"),
    include_str!("../migrations/0003_retention.sql"),
    include_str!("../migrations/0004_cron.sql"),
    include_str!("../migrations/0005_traceparent.sql"),
    include_str!("../migrations/0006_ready_by_queue.sql"),
    include_str!("../migrations/0007_workers.sql"),
    include_str!("../migrations/0008_queue_limits.sql"),
    include_str!("../migrations/0009_key_turns.sql"),
];

/// The schema version this build writes.
pub(crate) const LATEST: usize = MIGRATIONS.len();

/// Brings the file up to [`LATEST`], each migration in its own transaction with
/// its version bump, and returns the version found before.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<usize, OpenError> {
    let open_error = |source| OpenError::Open {
        path: path.to_owned(),
        source,
    };
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(open_error)?;
    let found = usize::try_from(found)
        .ok()
        .filter(|v| *v <= LATEST)
        .ok_or(OpenError::TooNew {
            path: path.to_owned(),
            found,
            known: LATEST,
        })?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found) {
        let version = index + 1;
        apply(conn, sql, version).map_err(|source| OpenError::Migrate {
            path: path.to_owned(),
            version,
            source,
        })?;
        tracing::info!(path = %path.display(), version, "applied sqlite migration");
    }
    Ok(found)
}

fn apply(conn: &mut Connection, sql: &str, version: usize) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(sql)?;
    // user_version lives in the file header, so it commits or rolls back with the schema.
    tx.pragma_update(None, "user_version", version as i64)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("version")
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().expect("open");
        let path = Path::new(":memory:");
        assert_eq!(migrate(&mut conn, path).expect("first"), 0);
        assert_eq!(version(&conn), LATEST as i64);
        assert_eq!(migrate(&mut conn, path).expect("second"), LATEST);
        assert_eq!(version(&conn), LATEST as i64);
    }

    #[test]
    fn a_newer_file_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", 999)
            .expect("set version");
        let err = migrate(&mut conn, Path::new("x.db")).expect_err("too new");
        assert!(matches!(err, OpenError::TooNew { found: 999, .. }), "{err}");
    }
}
