//! The SQLite store runs the conformance suite, each case on its own temporary file.

use std::sync::Arc;

use rustqueue_store_sqlite::{SqliteOptions, SqliteStore};
use tempfile::TempDir;

/// A fresh store in a new temporary directory, which lives as long as the case.
async fn fresh_store() -> (Arc<SqliteStore>, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("queue.db"), SqliteOptions::default())
        .expect("open store");
    (Arc::new(store), dir)
}

rustqueue_store_tests::conformance_suite!(fresh_store());
