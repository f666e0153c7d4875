//! Writes that people make: retrying, deleting and clearing tasks; and
//! reading tasks by id. Each write runs inside the writer's transaction.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::store::StoreError;
use rustqueue_core::task::{EventKind, Task, TaskStatus, Timestamp};

use crate::counters::{self, Deltas};
use crate::errors::Fault;
use crate::insert::key_holder;
use crate::rows::{self, micros, task_columns};
use crate::{history, id_clock, search};

/// Moves a `FAILED` task back to `QUEUED` with a fresh attempt budget.
pub(crate) fn retry(conn: &Connection, id: &str, now: Timestamp) -> Result<Task, Fault> {
    let task = get(conn, id)?.ok_or(StoreError::NotFound)?;
    if task.status != TaskStatus::Failed {
        return Err(StoreError::conflict(format!("task is {}, not FAILED", task.status)).into());
    }
    if let Some(key) = task.unique_key.as_deref()
        && key_holder(conn, key)?.is_some_and(|holder| holder.id != id)
    {
        return Err(StoreError::conflict(format!(
            "unique key {key:?} is held by another unfinished task"
        ))
        .into());
    }
    let sql = concat!(
        "UPDATE tasks SET status = 'QUEUED', attempts = 0, run_at = ?2, updated_at = ?2, started_at = NULL, finished_at = NULL ",
        "WHERE id = ?1 RETURNING ",
        task_columns!()
    );
    let retried = conn
        .prepare_cached(sql)?
        .query_row(params![id, micros(now)], rows::task)?;
    let mut deltas = Deltas::default();
    deltas.moved(
        &retried.queue,
        &retried.task_type,
        TaskStatus::Failed,
        TaskStatus::Queued,
    );
    deltas.apply(conn)?;
    history::append(
        conn,
        id,
        now,
        EventKind::RetriedByUser,
        retried.attempts,
        None,
    )?;
    Ok(retried)
}

/// Deletes a task, its history and its search entry, returning it as it was.
pub(crate) fn delete(conn: &Connection, id: &str) -> Result<Option<Task>, Fault> {
    // The rowid follows the task's columns, so `rows::task` reads the row as usual.
    let sql = concat!(
        "DELETE FROM tasks WHERE id = ?1 RETURNING ",
        task_columns!(),
        ", rowid"
    );
    let deleted = conn
        .prepare_cached(sql)?
        .query_row([id], |row| {
            Ok((rows::task(row)?, row.get::<_, i64>(rows::TASK_COLUMNS)?))
        })
        .optional()?;
    let Some((task, rowid)) = deleted else {
        return Ok(None);
    };
    history::delete(conn, id)?;
    search::unindex(conn, rowid, &task.id, task.payload.get())?;
    let mut deltas = Deltas::default();
    deltas.add(&task.queue, &task.task_type, task.status, -1);
    deltas.apply(conn)?;
    Ok(Some(task))
}

/// Deletes every task, all history, the search index and the counters; queue states stay.
pub(crate) fn clear(conn: &Connection) -> Result<u64, Fault> {
    conn.prepare_cached("DELETE FROM task_events")?
        .execute([])?;
    let deleted = conn.prepare_cached("DELETE FROM tasks")?.execute([])?;
    search::clear(conn)?;
    counters::clear(conn)?;
    id_clock::reset(conn)?;
    Ok(deleted as u64)
}

/// One task by id.
pub(crate) fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<Task>> {
    let sql = concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = ?1");
    conn.prepare_cached(sql)?
        .query_row([id], rows::task)
        .optional()
}

/// The tasks with these ids in one statement, in the order asked; unknown
/// ids are skipped, and an id asked twice comes back twice.
pub(crate) fn get_many(conn: &Connection, ids: &[String]) -> Result<Vec<Task>, Fault> {
    let sql = concat!(
        "SELECT ",
        task_columns!(),
        " FROM tasks WHERE id IN (SELECT value FROM json_each(?1))"
    );
    let asked = serde_json::to_string(ids)
        .map_err(|err| StoreError::other(format!("cannot encode task ids: {err}")))?;
    let found: HashMap<String, Task> = conn
        .prepare_cached(sql)?
        .query_map([asked], rows::task)?
        .map(|task| task.map(|task| (task.id.clone(), task)))
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}
