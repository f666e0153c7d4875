//! Row mapping: how task fields and times are stored in columns, and read back.

use chrono::{DateTime, SubsecRound};
use rusqlite::Row;
use rusqlite::types::Type;
use rustqueue_core::store::{Lease, LeaseToken};
use rustqueue_core::task::{NewTask, RawJson, Task, TaskStatus, Timestamp};
use serde_json::value::RawValue;

/// Every column of `tasks`, in the order [`task`] and [`lease`] read them; a
/// macro so statements can be built with `concat!` at compile time.
macro_rules! task_columns {
    () => {
        "id, task_type, payload, queue, priority, status, attempts, max_retries, created_at, updated_at, \
         run_at, started_at, finished_at, last_error, result, unique_key, timeout_ms, lease_token, lease_expires_at, \
         traceparent, leased_by, concurrency_key"
    };
}
pub(crate) use task_columns;

/// How many columns [`task_columns!`] names: a statement's own extra columns start here.
pub(crate) const TASK_COLUMNS: usize = 22;

/// A time as stored: microseconds since the Unix epoch.
pub(crate) fn micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

/// A stored optional time.
pub(crate) fn micros_opt(at: Option<Timestamp>) -> Option<i64> {
    at.map(micros)
}

/// A stored `timeout_ms`.
pub(crate) fn timeout_column(timeout_ms: Option<u64>) -> Option<i64> {
    // Past i64::MAX milliseconds (292 million years) every timeout means "never".
    timeout_ms.map(|ms| i64::try_from(ms).unwrap_or(i64::MAX))
}

/// A count or limit as SQLite wants it.
pub(crate) fn limit_column(limit: usize) -> i64 {
    // More rows than i64::MAX cannot exist, so saturating loses nothing.
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn conversion(
    index: usize,
    kind: Type,
    err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, kind, err.into())
}

/// Reads a time column.
pub(crate) fn time(row: &Row<'_>, index: usize) -> rusqlite::Result<Timestamp> {
    let value: i64 = row.get(index)?;
    DateTime::from_timestamp_micros(value)
        .ok_or_else(|| conversion(index, Type::Integer, format!("time {value} out of range")))
}

fn time_opt(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Timestamp>> {
    match row.get_ref(index)?.as_i64_or_null()? {
        None => Ok(None),
        Some(_) => time(row, index).map(Some),
    }
}

fn json(row: &Row<'_>, index: usize) -> rusqlite::Result<RawJson> {
    let text: String = row.get(index)?;
    RawValue::from_string(text).map_err(|err| conversion(index, Type::Text, err))
}

fn json_opt(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<RawJson>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| RawValue::from_string(text).map_err(|err| conversion(index, Type::Text, err)))
        .transpose()
}

/// Reads a status column.
pub(crate) fn status(row: &Row<'_>, index: usize) -> rusqlite::Result<TaskStatus> {
    let text: String = row.get(index)?;
    text.parse::<TaskStatus>()
        .map_err(|err| conversion(index, Type::Text, err))
}

/// Reads a task from a row selected with [`task_columns!`].
pub(crate) fn task(row: &Row<'_>) -> rusqlite::Result<Task> {
    let status = status(row, 5)?;
    let timeout_ms: Option<i64> = row.get(16)?;
    Ok(Task {
        id: row.get(0)?,
        task_type: row.get(1)?,
        payload: json(row, 2)?,
        queue: row.get(3)?,
        priority: row.get(4)?,
        status,
        attempts: row.get(6)?,
        max_retries: row.get(7)?,
        created_at: time(row, 8)?,
        updated_at: time(row, 9)?,
        run_at: time(row, 10)?,
        started_at: time_opt(row, 11)?,
        finished_at: time_opt(row, 12)?,
        last_error: row.get(13)?,
        result: json_opt(row, 14)?,
        unique_key: row.get(15)?,
        // Stored from a u64, so never negative; clamp rather than fail if edited by hand.
        timeout_ms: timeout_ms.map(|ms| u64::try_from(ms).unwrap_or(0)),
        concurrency_key: row.get(21)?,
        traceparent: row.get(19)?,
        worker: row.get(20)?,
    })
}

/// Reads a leased task and its lease from a row selected with [`task_columns!`].
pub(crate) fn lease(row: &Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        task: task(row)?,
        token: LeaseToken(row.get(17)?),
        expires_at: time(row, 18)?,
    })
}

/// A time as it reads back: truncated to the microseconds that are stored.
fn stored(at: Timestamp) -> Timestamp {
    at.trunc_subsecs(6)
}

/// The task a fresh insert stores, built without reading it back (so its
/// times are cut to microseconds, exactly as a later read returns them).
pub(crate) fn inserted_task(new: NewTask, now: Timestamp) -> Task {
    let run_at = stored(new.run_at);
    NewTask { run_at, ..new }.into_queued(stored(now))
}
