//! Writes that people and producers make: inserting, retrying, deleting and
//! clearing tasks, and pausing queues. Each runs inside the writer's transaction.

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::store::{Inserted, StoreError};
use rustqueue_core::task::{EventKind, NewTask, Task, TaskStatus, Timestamp};

use crate::counters::{self, Deltas};
use crate::errors::Fault;
use crate::rows::{self, micros, task_columns, timeout_column};
use crate::{history, id_clock, search};

/// Inserts tasks in order; a task whose key is held gets the holder back
/// instead. Each new task is indexed for search and counted.
pub(crate) fn insert_many(
    conn: &Connection,
    tasks: Vec<NewTask>,
    now: Timestamp,
) -> Result<Vec<Inserted>, Fault> {
    let mut inserted = Vec::with_capacity(tasks.len());
    let mut deltas = Deltas::default();
    for new in tasks {
        // Looked up inside the transaction, so earlier tasks of this batch count as holders.
        if let Some(key) = new.unique_key.as_deref()
            && let Some(holder) = key_holder(conn, key)?
        {
            inserted.push(Inserted {
                task: holder,
                duplicate: true,
            });
            continue;
        }
        insert_one(conn, &new, now)?;
        search::index(conn, conn.last_insert_rowid(), &new.id, new.payload.get())?;
        let note = new.note.as_deref();
        history::append(conn, &new.id, now, EventKind::Enqueued, 0, note)?;
        deltas.add(&new.queue, &new.task_type, TaskStatus::Queued, 1);
        inserted.push(Inserted {
            task: rows::inserted_task(new, now),
            duplicate: false,
        });
    }
    deltas.apply(conn)?;
    let created = inserted.iter().filter(|i| !i.duplicate);
    id_clock::record(conn, created.map(|i| i.task.id.as_str()), now)?;
    Ok(inserted)
}

fn insert_one(conn: &Connection, new: &NewTask, now: Timestamp) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO tasks (id, task_type, payload, queue, priority, status, attempts, max_retries, \
         created_at, updated_at, run_at, unique_key, timeout_ms, traceparent) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'QUEUED', 0, ?6, ?7, ?7, ?8, ?9, ?10, ?11)",
    )?;
    insert.execute(params![
        new.id,
        new.task_type,
        new.payload.get(),
        new.queue,
        new.priority,
        new.max_retries,
        micros(now),
        micros(new.run_at),
        new.unique_key,
        timeout_column(new.timeout_ms),
        new.traceparent,
    ])?;
    Ok(())
}

/// The unfinished holder of a key. The condition repeats the unique index's
/// WHERE so SQLite answers from that index.
pub(crate) const KEY_HOLDER: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE unique_key = ?1 AND unique_key IS NOT NULL AND status IN ('QUEUED', 'INPROGRESS')"
);

/// The unfinished task holding `key`, if any.
fn key_holder(conn: &Connection, key: &str) -> rusqlite::Result<Option<Task>> {
    conn.prepare_cached(KEY_HOLDER)?
        .query_row([key], rows::task)
        .optional()
}

/// Moves a `FAILED` task back to `QUEUED` with a fresh attempt budget.
pub(crate) fn retry(conn: &Connection, id: &str, now: Timestamp) -> Result<Task, Fault> {
    let task = get(conn, id)?.ok_or(StoreError::NotFound)?;
    if task.status != TaskStatus::Failed {
        return Err(StoreError::Conflict(format!("task is {}, not FAILED", task.status)).into());
    }
    if let Some(key) = task.unique_key.as_deref()
        && key_holder(conn, key)?.is_some_and(|holder| holder.id != id)
    {
        return Err(StoreError::Conflict(format!(
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

/// Pauses a queue, creating its record if needed, or resumes it by removing
/// the record (not paused is the default).
pub(crate) fn set_paused(
    conn: &Connection,
    name: &str,
    paused: bool,
    now: Timestamp,
) -> Result<(), Fault> {
    if !paused {
        conn.prepare_cached("DELETE FROM queues WHERE name = ?1")?
            .execute([name])?;
        return Ok(());
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO queues (name, paused, updated_at) VALUES (?1, 1, ?2) \
         ON CONFLICT (name) DO UPDATE SET paused = 1, updated_at = excluded.updated_at",
    )?;
    upsert.execute(params![name, micros(now)])?;
    Ok(())
}

/// One task by id.
pub(crate) fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<Task>> {
    let sql = concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = ?1");
    conn.prepare_cached(sql)?
        .query_row([id], rows::task)
        .optional()
}
