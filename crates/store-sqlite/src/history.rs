//! Task history: appending one event per transition, and reading a task's timeline.

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::store::StoreError;
use rustqueue_core::task::{EventKind, TaskEvent, Timestamp};

use crate::errors::Fault;
use crate::rows::{micros, time};

/// Inserts an event. `seq` comes from the task's own range of the primary key:
/// one seek in the b-tree the insert is about to touch anyway.
pub(crate) const APPEND: &str = "INSERT INTO task_events (task_id, seq, at, kind, attempt, message) \
     VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM task_events WHERE task_id = ?1), ?2, ?3, ?4, ?5)";

/// Appends an event to a task's history, numbered after its latest one.
pub(crate) fn append(
    conn: &Connection,
    task_id: &str,
    at: Timestamp,
    kind: EventKind,
    attempt: u32,
    message: Option<&str>,
) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(APPEND)?;
    insert.execute(params![
        task_id,
        micros(at),
        kind.as_str(),
        attempt,
        message
    ])?;
    Ok(())
}

/// One event of a batch: task id, kind, attempt number, message.
pub(crate) type NewEvent<'a> = (&'a str, &'static str, u32, Option<&'a str>);

/// Appends one event to each of several tasks, all at `at`, with one prepared statement.
pub(crate) fn append_many(
    conn: &Connection,
    at: Timestamp,
    events: &[NewEvent<'_>],
) -> Result<(), Fault> {
    let mut insert = conn.prepare_cached(APPEND)?;
    for (task_id, kind, attempt, message) in events {
        insert.execute(params![task_id, micros(at), kind, attempt, message])?;
    }
    Ok(())
}

/// Deletes a task's history.
pub(crate) fn delete(conn: &Connection, task_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM task_events WHERE task_id = ?1")?
        .execute([task_id])?;
    Ok(())
}

/// Deletes the history of many tasks, named by a JSON array of ids.
pub(crate) fn delete_many(conn: &Connection, task_ids_json: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM task_events WHERE task_id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([task_ids_json])?;
    Ok(())
}

/// A task's history, oldest first; `NotFound` if the task does not exist.
pub(crate) fn read(conn: &Connection, task_id: &str) -> Result<Vec<TaskEvent>, Fault> {
    // One read transaction, so the existence check and the events agree.
    let tx = conn.unchecked_transaction()?;
    let exists = tx
        .prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?
        .query_row([task_id], |_| Ok(()))
        .optional()?
        .is_some();
    if !exists {
        return Err(StoreError::NotFound.into());
    }
    let mut select = tx.prepare_cached(
        "SELECT at, kind, attempt, message FROM task_events WHERE task_id = ?1 ORDER BY seq",
    )?;
    let events = select
        .query_map([task_id], |row| {
            let kind: String = row.get(1)?;
            let kind = kind.parse::<EventKind>().map_err(|err| {
                rusqlite::Error::FromSqlConversionFailure(
                    1,
                    rusqlite::types::Type::Text,
                    err.into(),
                )
            })?;
            Ok(TaskEvent {
                task_id: task_id.to_owned(),
                at: time(row, 0)?,
                kind,
                attempt: row.get(2)?,
                message: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(select);
    tx.finish()?;
    Ok(events)
}
