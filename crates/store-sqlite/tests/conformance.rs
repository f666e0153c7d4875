//! The SQLite store runs the conformance suite, each case on its own temporary file.

use std::sync::Arc;

use rustqueue_store_sqlite::SqliteStore;
use rustqueue_store_sqlite::testing::TestDatabase;

/// A fresh store on a new temporary file, which lives as long as the case.
async fn fresh_store() -> (Arc<SqliteStore>, TestDatabase) {
    let db = TestDatabase::new();
    (Arc::new(db.open()), db)
}

rustqueue_store_tests::conformance_suite!(fresh_store());
