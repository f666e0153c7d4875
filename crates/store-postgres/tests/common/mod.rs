//! Test schemas: each test connects to a fresh schema with a random name in
//! the database named by `RUSTQUEUE_TEST_POSTGRES_URL`, dropped afterwards.
//! A test fails, never skips, when PostgreSQL cannot be reached.

#![allow(dead_code)]

use std::sync::Arc;

use rustqueue_store_postgres::{PostgresOptions, PostgresStore};

/// The test database unless `RUSTQUEUE_TEST_POSTGRES_URL` names another.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The URL of the test database.
pub fn url() -> String {
    std::env::var("RUSTQUEUE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Drops its schema (and everything in it) when dropped.
#[derive(Debug)]
pub struct SchemaGuard {
    /// The schema's name.
    pub name: String,
}

impl SchemaGuard {
    /// A new random schema name, not yet created.
    pub fn new() -> Self {
        Self {
            name: format!("rq_test_{:016x}", rand::random::<u64>()),
        }
    }

    /// Options that put a store's tables in this schema.
    pub fn options(&self) -> PostgresOptions {
        PostgresOptions::default().with_schema(&self.name)
    }

    /// Connects a store ("a node") to this schema.
    pub async fn connect(&self) -> PostgresStore {
        PostgresStore::connect(&url(), self.options())
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "cannot connect to the test PostgreSQL at {} (set RUSTQUEUE_TEST_POSTGRES_URL): {err}",
                    url()
                )
            })
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        // Drop may run inside a runtime, which cannot block on a future: a
        // thread of its own with its own runtime does the cleanup.
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
                    .await
                    .map_err(|err| err.to_string())?;
                tokio::spawn(connection);
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|err| err.to_string())
            })
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("cannot drop test schema {}: {err}", self.name),
            Err(_) => eprintln!("the cleanup of test schema {} panicked", self.name),
        }
    }
}

/// A store in a fresh schema, and the guard that drops the schema after the store.
pub async fn fresh_store() -> (Arc<PostgresStore>, SchemaGuard) {
    let guard = SchemaGuard::new();
    let store = guard.connect().await;
    (Arc::new(store), guard)
}

/// A plain connection to the test database, for inspecting a schema directly.
pub async fn inspect() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    client
}

/// The test URL with `application_name` set, so a test can find its own
/// backends in `pg_stat_activity`.
pub fn url_named(application_name: &str) -> String {
    let base = url();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}application_name={application_name}")
}

/// A new task of `task_type` in the default queue, ready now.
pub fn new_task(task_type: &str) -> rustqueue_core::task::NewTask {
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
    }
}

/// The current time, cut to the microseconds PostgreSQL keeps.
pub fn now() -> rustqueue_core::task::Timestamp {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
