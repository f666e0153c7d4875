//! Versioned schema migrations, embedded in the binary and applied at connect.
//!
//! Applied versions are rows of `schema_migrations` in the store's schema. All
//! pending migrations run in one transaction that first takes an advisory lock
//! on the schema, so nodes starting together apply each migration once: the
//! others wait, then find nothing left to do. The SQL functions' current
//! bodies (see [`crate::functions`]) are applied last, under the same lock.

use crate::connection::Db;
use crate::errors::{ConnectError, Fault, store_error};
use crate::functions;

use rustqueue_core::store::StoreError;

/// Every migration in order; migration `n` (from 1) brings the schema to version `n`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_retention.sql"),
    include_str!("../migrations/0003_cron.sql"),
    include_str!("../migrations/0004_traceparent.sql"),
    include_str!("../migrations/0005_ready_by_queue.sql"),
    include_str!("../migrations/0006_workers.sql"),
    include_str!("../migrations/0007_queue_limits.sql"),
    include_str!("../migrations/0008_key_turns.sql"),
];

/// The schema version this build writes.
pub(crate) const LATEST: usize = MIGRATIONS.len();

/// What [`migrate`] found and did.
#[derive(Debug)]
pub(crate) struct Migrated {
    /// The schema the tables live in (the first of the search path).
    pub(crate) schema: String,
    /// The version found before migrating.
    pub(crate) from: usize,
}

/// Creates the schema if needed and brings it up to [`LATEST`].
pub(crate) async fn migrate(db: &Db, schema: Option<&str>) -> Result<Migrated, ConnectError> {
    let label = schema.unwrap_or("(default)");
    let prepare = prepare_error(label);
    let mut client = db
        .client()
        .await
        .map_err(|fault| ConnectError::Connect(store_error(fault)))?;
    let tx = client.transaction().await.map_err(|e| prepare(e.into()))?;
    match apply_pending(&tx, schema, label).await {
        Ok(migrated) => {
            tx.commit().await.map_err(|e| prepare(e.into()))?;
            Ok(migrated)
        }
        Err(err) => {
            // Roll back now: a dropped transaction only rolls back once its
            // connection task runs again, and until then it holds the
            // migration lock and locks on the schema's tables.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "cannot roll back a failed migration");
            }
            Err(err)
        }
    }
}

/// Wraps a fault met while preparing `label`'s schema.
fn prepare_error(label: &str) -> impl Fn(Fault) -> ConnectError + '_ {
    move |source| ConnectError::Prepare {
        schema: label.to_owned(),
        source: store_error(source),
    }
}

/// Brings the schema up to [`LATEST`] and its functions to their current
/// bodies inside `tx`, which the caller commits.
async fn apply_pending(
    tx: &deadpool_postgres::Transaction<'_>,
    schema: Option<&str>,
    label: &str,
) -> Result<Migrated, ConnectError> {
    let prepare = prepare_error(label);
    let from = prepare_schema(tx, schema).await.map_err(&prepare)?;
    let from = usize::try_from(from)
        .ok()
        .filter(|v| *v <= LATEST)
        .ok_or_else(|| ConnectError::TooNew {
            schema: label.to_owned(),
            found: from,
            known: LATEST,
        })?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(from) {
        let version = index + 1;
        apply(tx, sql, version)
            .await
            .map_err(|source| ConnectError::Migrate {
                schema: label.to_owned(),
                version,
                source: store_error(source),
            })?;
        tracing::info!(schema = label, version, "applied postgres migration");
    }
    functions::apply(tx)
        .await
        .map_err(|(function, source)| ConnectError::Functions {
            schema: label.to_owned(),
            function,
            source: store_error(source),
        })?;
    let schema: String = tx
        .query_one("SELECT current_schema()", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| prepare(e.into()))?;
    Ok(Migrated { schema, from })
}

/// Takes the migration lock, creates the schema and the version table if
/// needed, and returns the version found.
async fn prepare_schema(
    tx: &deadpool_postgres::Transaction<'_>,
    schema: Option<&str>,
) -> Result<i64, Fault> {
    // Held until commit; keyed by schema so unrelated schemas do not queue up.
    let key = format!("rustqueue.migrate.{}", schema.unwrap_or(""));
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&key],
    )
    .await?;
    if let Some(schema) = schema {
        create_schema(tx, schema).await?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let row = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Creates `schema` unless it exists: `CREATE SCHEMA IF NOT EXISTS` would
/// still demand the right to create schemas in the database.
async fn create_schema(tx: &deadpool_postgres::Transaction<'_>, schema: &str) -> Result<(), Fault> {
    let exists = tx
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await?
        .is_some();
    if !exists {
        // The name was checked to be a plain identifier, so quoting is enough.
        tx.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .await?;
    }
    Ok(())
}

async fn apply(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    version: usize,
) -> Result<(), Fault> {
    tx.batch_execute(sql).await?;
    let version = i64::try_from(version)
        .map_err(|_| StoreError::other("migration version out of range".to_owned()))?;
    tx.execute(
        "INSERT INTO schema_migrations (version) VALUES ($1)",
        &[&version],
    )
    .await?;
    Ok(())
}
