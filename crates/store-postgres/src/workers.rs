//! Worker records: upserted when a worker calls in, listed, and pruned.

use rustqueue_core::store::{StoreError, WorkerKind, WorkerRecord};
use rustqueue_core::task::Timestamp;
use tokio_postgres::Row;

use crate::connection::Db;
use crate::errors::Fault;

/// Empty types (a heartbeat) and absent details keep what is stored, and
/// `last_seen_at` never moves back: nodes' records may land in any order.
const UPSERT: &str = "INSERT INTO workers AS w (id, kind, types, hostname, pid, concurrency, last_seen_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, \
     types = CASE WHEN cardinality(excluded.types) = 0 THEN w.types ELSE excluded.types END, \
     hostname = coalesce(excluded.hostname, w.hostname), \
     pid = coalesce(excluded.pid, w.pid), \
     concurrency = coalesce(excluded.concurrency, w.concurrency), \
     last_seen_at = greatest(excluded.last_seen_at, w.last_seen_at)";

const LIST: &str = "SELECT id, kind, types, hostname, pid, concurrency, last_seen_at FROM workers \
     WHERE last_seen_at >= $1 ORDER BY id";

/// Creates or updates a worker's record.
pub(crate) async fn record(db: &Db, seen: &WorkerRecord) -> Result<(), Fault> {
    let client = db.client().await?;
    let upsert = client.prepare_cached(UPSERT).await?;
    client
        .execute(
            &upsert,
            &[
                &seen.id,
                &seen.kind.as_str(),
                &seen.types,
                &seen.hostname,
                &seen.pid.map(i64::from),
                &seen.concurrency.map(i64::from),
                &seen.last_seen_at,
            ],
        )
        .await?;
    Ok(())
}

/// Every record seen at or after `seen_since`, by id.
pub(crate) async fn list(db: &Db, seen_since: Timestamp) -> Result<Vec<WorkerRecord>, Fault> {
    let client = db.client().await?;
    let select = client.prepare_cached(LIST).await?;
    let rows = client.query(&select, &[&seen_since]).await?;
    rows.iter().map(record_of).collect()
}

/// Deletes the records last seen before `seen_before`.
pub(crate) async fn prune(db: &Db, seen_before: Timestamp) -> Result<u64, Fault> {
    let client = db.client().await?;
    let delete = client
        .prepare_cached("DELETE FROM workers WHERE last_seen_at < $1")
        .await?;
    Ok(client.execute(&delete, &[&seen_before]).await?)
}

fn record_of(row: &Row) -> Result<WorkerRecord, Fault> {
    let kind: &str = row.try_get(1)?;
    let corrupt = |detail: String| Fault::Store(StoreError::other(detail));
    let small = |value: Option<i64>| value.and_then(|v| u32::try_from(v).ok());
    Ok(WorkerRecord {
        id: row.try_get(0)?,
        kind: WorkerKind::parse(kind).ok_or_else(|| corrupt(format!("worker kind {kind}")))?,
        types: row.try_get(2)?,
        hostname: row.try_get(3)?,
        pid: small(row.try_get(4)?),
        concurrency: small(row.try_get(5)?),
        last_seen_at: row.try_get(6)?,
    })
}
