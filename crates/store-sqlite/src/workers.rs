//! Worker records: upserted when a worker calls in, listed, and pruned.

use rusqlite::{Connection, Row, params};
use rustqueue_core::store::{StoreError, WorkerKind, WorkerRecord};
use rustqueue_core::task::Timestamp;

use crate::errors::Fault;
use crate::rows::{micros, time};

/// Empty types (a heartbeat) and absent details keep what is stored, and
/// `last_seen_at` never moves back: records from several calls may land in any order.
const UPSERT: &str = "INSERT INTO workers (id, kind, types, hostname, pid, concurrency, last_seen_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, \
     types = CASE WHEN excluded.types = '[]' THEN workers.types ELSE excluded.types END, \
     hostname = coalesce(excluded.hostname, workers.hostname), \
     pid = coalesce(excluded.pid, workers.pid), \
     concurrency = coalesce(excluded.concurrency, workers.concurrency), \
     last_seen_at = max(excluded.last_seen_at, workers.last_seen_at)";

/// Creates or updates a worker's record.
pub(crate) fn record(conn: &Connection, seen: &WorkerRecord) -> Result<(), Fault> {
    let types = serde_json::to_string(&seen.types)
        .map_err(|err| StoreError::other(format!("cannot encode task types: {err}")))?;
    conn.prepare_cached(UPSERT)?.execute(params![
        seen.id,
        seen.kind.as_str(),
        types,
        seen.hostname,
        seen.pid,
        seen.concurrency,
        micros(seen.last_seen_at),
    ])?;
    Ok(())
}

/// Every record seen at or after `seen_since`, by id.
pub(crate) fn list(conn: &Connection, seen_since: Timestamp) -> Result<Vec<WorkerRecord>, Fault> {
    let mut select = conn.prepare_cached(
        "SELECT id, kind, types, hostname, pid, concurrency, last_seen_at FROM workers \
         WHERE last_seen_at >= ?1 ORDER BY id",
    )?;
    let records = select.query_map([micros(seen_since)], row)?;
    Ok(records.collect::<rusqlite::Result<_>>()?)
}

/// Deletes the records last seen before `seen_before`.
pub(crate) fn prune(conn: &Connection, seen_before: Timestamp) -> Result<u64, Fault> {
    let deleted = conn
        .prepare_cached("DELETE FROM workers WHERE last_seen_at < ?1")?
        .execute([micros(seen_before)])?;
    Ok(deleted as u64)
}

fn row(row: &Row<'_>) -> rusqlite::Result<WorkerRecord> {
    let kind: String = row.get(1)?;
    let types: String = row.get(2)?;
    let corrupt = |index, err: String| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, err.into())
    };
    Ok(WorkerRecord {
        id: row.get(0)?,
        kind: WorkerKind::parse(&kind).ok_or_else(|| corrupt(1, format!("worker kind {kind}")))?,
        types: serde_json::from_str(&types).map_err(|err| corrupt(2, err.to_string()))?,
        hostname: row.get(3)?,
        pid: row.get(4)?,
        concurrency: row.get(5)?,
        last_seen_at: time(row, 6)?,
    })
}
