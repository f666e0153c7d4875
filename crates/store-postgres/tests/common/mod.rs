//! Test helpers: each test connects to a fresh schema of its own (see
//! `rustqueue_store_postgres::testing`), dropped afterwards. A test fails,
//! never skips, when PostgreSQL cannot be reached.

#![allow(dead_code)]

use std::sync::Arc;

use rustqueue_store_postgres::PostgresStore;

pub(crate) use rustqueue_store_postgres::testing::{TestSchema as SchemaGuard, test_url as url};

/// A store in a fresh schema, and the guard that drops the schema after the store.
pub(crate) async fn fresh_store() -> (Arc<PostgresStore>, SchemaGuard) {
    let guard = SchemaGuard::new();
    let store = guard.connect().await;
    (Arc::new(store), guard)
}

/// A plain connection to the test database, for inspecting a schema directly.
pub(crate) async fn inspect() -> tokio_postgres::Client {
    rustqueue_store_postgres::testing::inspect()
        .await
        .expect("connect to the test database")
}

/// The test URL with `application_name` set, so a test can find its own
/// backends in `pg_stat_activity`.
pub(crate) fn url_named(application_name: &str) -> String {
    let base = url();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}application_name={application_name}")
}

/// A new task of `task_type` in the default queue, ready now.
pub(crate) fn new_task(task_type: &str) -> rustqueue_core::task::NewTask {
    rustqueue_core::task::NewTask {
        id: rustqueue_core::task::new_task_id(),
        task_type: task_type.to_owned(),
        payload: serde_json::value::RawValue::from_string("{}".to_owned()).expect("json"),
        queue: "default".to_owned(),
        priority: 0,
        max_retries: 3,
        run_at: now(),
        unique_key: None,
        timeout_ms: None,
        concurrency_key: None,
        traceparent: None,
        note: None,
    }
}

/// The current time, cut to the microseconds PostgreSQL keeps.
pub(crate) fn now() -> rustqueue_core::task::Timestamp {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
