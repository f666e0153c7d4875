//! Throwaway databases for tests of code built on this store: each test gets
//! a SQLite file of its own in a fresh temporary folder, removed when the
//! guard goes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{SqliteOptions, SqliteStore};

/// A folder name no other test (in this or another process) is using.
fn unique_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let serial = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "rq_test_{}_{nanos:09}_{serial}",
        std::process::id()
    ))
}

/// A database file in a folder of its own; the folder and everything in it
/// (the file, its WAL, its lock) is removed when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    dir: PathBuf,
    path: PathBuf,
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl TestDatabase {
    /// A fresh empty folder; the file is created by the first open.
    pub fn new() -> Self {
        let dir = unique_dir();
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        let path = dir.join("queue.db");
        Self { dir, path }
    }

    /// The database file, for a test that opens it itself (or hands it to a
    /// `rustqueue serve` process).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder the file is in, for anything else the test needs on disk.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Opens a store on the file with default options.
    pub fn open(&self) -> SqliteStore {
        self.open_with(SqliteOptions::default())
    }

    /// Opens a store on the file, panicking with a clear message if it cannot.
    pub fn open_with(&self, options: SqliteOptions) -> SqliteStore {
        SqliteStore::open(&self.path, options)
            .unwrap_or_else(|err| panic!("cannot open {}: {err}", self.path.display()))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("cannot remove test database {}: {err}", self.dir.display());
        }
    }
}

/// SQLite's query plan of `sql` on `conn`, one line per step (parameters
/// stay unbound: the plan does not depend on their values).
pub fn query_plan(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<String> {
    let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let mut rows = explain.raw_query();
    let mut lines = Vec::new();
    while let Some(row) = rows.next()? {
        lines.push(row.get::<_, String>(3)?);
    }
    Ok(lines.join("\n"))
}

/// The statements a claim on a limited or round-robin queue runs beyond the
/// plain walk, for a test that checks their query plans on a populated file.
pub fn limited_claim_statements() -> Vec<&'static str> {
    let mut statements = crate::limited::statements().to_vec();
    statements.extend(crate::fair::statements());
    statements
}
