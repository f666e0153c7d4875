//! Throwaway schemas for tests of code built on this store: each test gets a
//! schema of its own in the database named by `RUSTQUEUE_TEST_POSTGRES_URL`
//! (the machine's `test` database by default), dropped when the guard goes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{PostgresOptions, PostgresStore};

/// The test database unless `RUSTQUEUE_TEST_POSTGRES_URL` names another.
pub const DEFAULT_TEST_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The URL of the test database.
pub fn test_url() -> String {
    std::env::var("RUSTQUEUE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_TEST_URL.to_owned())
}

/// A schema name no other test (in this or another process) is using.
fn unique_schema_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let serial = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("rq_test_{}_{nanos:09}_{serial}", std::process::id())
}

/// Drops its schema (and everything in it) when dropped.
#[derive(Debug)]
pub struct TestSchema {
    /// The schema's name.
    pub name: String,
}

impl Default for TestSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl TestSchema {
    /// A new unique schema name; the schema is created by the first connect.
    pub fn new() -> Self {
        Self {
            name: unique_schema_name(),
        }
    }

    /// Options that put a store's tables in this schema.
    pub fn options(&self) -> PostgresOptions {
        PostgresOptions::default().with_schema(&self.name)
    }

    /// Connects a store ("a node") to this schema, panicking with a clear
    /// message when the test database cannot be reached: tests fail, never skip.
    pub async fn connect(&self) -> PostgresStore {
        PostgresStore::connect(&test_url(), self.options())
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "cannot connect to the test PostgreSQL at {} (set RUSTQUEUE_TEST_POSTGRES_URL): {err}",
                    test_url()
                )
            })
    }
}

impl Drop for TestSchema {
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
                let client = inspect().await.map_err(|err| err.to_string())?;
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

/// A plain connection to the test database, for looking at a schema directly.
pub async fn inspect() -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(&test_url(), tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}
