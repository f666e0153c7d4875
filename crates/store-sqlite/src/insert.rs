//! Inserting tasks: one row, search entry and `enqueued` event per task,
//! with `unique_key` deduplication, inside the writer's transaction.

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::store::Inserted;
use rustqueue_core::task::{EventKind, NewTask, Task, TaskStatus, Timestamp};

use crate::counters::Deltas;
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
         created_at, updated_at, run_at, unique_key, timeout_ms, traceparent, concurrency_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'QUEUED', 0, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12)",
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
        new.concurrency_key,
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
pub(crate) fn key_holder(conn: &Connection, key: &str) -> rusqlite::Result<Option<Task>> {
    conn.prepare_cached(KEY_HOLDER)?
        .query_row([key], rows::task)
        .optional()
}
