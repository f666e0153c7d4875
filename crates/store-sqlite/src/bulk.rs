//! Bulk changes: retrying and deleting many tasks, chosen by ids or by a
//! filter, and retention's batches. Each runs as one writer command, so
//! the whole operation is one transaction; ids go in chunks, one statement each.

use std::collections::HashSet;

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use rustqueue_core::store::{BulkDeleted, Selection, StoreError, TaskFilter, TaskPruneParams};
use rustqueue_core::task::{EventKind, TaskStatus, Timestamp};

use crate::counters::Deltas;
use crate::errors::Fault;
use crate::history::{self, NewEvent};
use crate::rows::{self, micros};
use crate::{filter, search};

/// Ids per statement: one JSON array read by `json_each`.
const CHUNK: usize = 500;

/// The retry of [`crate::tasks::retry`], for every selected `FAILED` row.
/// `OR IGNORE` skips a row whose new `QUEUED` state would break the unique-key
/// index: its key is held by an unfinished task, or by one retried just before
/// it in this statement.
const RETRY: &str = "UPDATE OR IGNORE tasks SET status = 'QUEUED', attempts = 0, run_at = ?1, \
     updated_at = ?1, started_at = NULL, finished_at = NULL WHERE status = 'FAILED' AND ";

/// What a bulk retry reads back from each retried row.
const RETRIED: &str = " RETURNING id, queue, task_type";

/// What a bulk delete reads back from each deleted row.
const DELETED: &str = " RETURNING rowid, id, status, queue, task_type, payload";

/// Selected rows by id, the chunk a JSON array. Anonymous `?`s here and in
/// filters number on from the head's `?1`, as SQLite numbers them.
const BY_IDS: &str = "id IN (SELECT value FROM json_each(?))";

/// Selected rows by filter, as a rowid set, with the filter's parameters.
fn by_filter(conn: &Connection, filter: &TaskFilter) -> rusqlite::Result<(String, Vec<Value>)> {
    let selected = filter::select(conn, filter)?;
    let sql = format!(
        "rowid IN (SELECT tasks.rowid FROM {} WHERE {})",
        selected.from, selected.terms
    );
    Ok((sql, selected.params))
}

fn chunk_json(ids: &[String]) -> Result<String, Fault> {
    serde_json::to_string(ids)
        .map_err(|err| StoreError::other(format!("cannot encode task ids: {err}")).into())
}

/// Runs `sql` once per chunk of ids (or once for a filter), mapping every returned row.
fn each_selected<T>(
    conn: &Connection,
    selection: &Selection,
    head: &str,
    tail: &str,
    first: Vec<Value>,
    map: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, Fault> {
    let mut out = Vec::new();
    let mut run = |condition: &str, params: Vec<Value>| -> Result<(), Fault> {
        let sql = format!("{head}{condition}{tail}");
        let mut statement = conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params_from_iter(params), &map)?;
        for row in rows {
            out.push(row?);
        }
        Ok(())
    };
    match selection {
        Selection::Ids(ids) => {
            for chunk in ids.chunks(CHUNK) {
                let mut params = first.clone();
                params.push(Value::Text(chunk_json(chunk)?));
                run(BY_IDS, params)?;
            }
        }
        Selection::Filter(_) | Selection::All => {
            let filter = selection.filter().unwrap_or_default();
            let (condition, params) = by_filter(conn, &filter)?;
            run(&condition, [first, params].concat())?;
        }
    }
    Ok(out)
}

/// Retries every selected `FAILED` task whose key is free; returns their ids,
/// in the selection's order (ids as given, or id order for a filter).
pub(crate) fn retry_many(
    conn: &Connection,
    selection: &Selection,
    now: Timestamp,
) -> Result<Vec<String>, Fault> {
    let selection = match selection.filter() {
        Some(filter) => match filter.status {
            Some(status) if status != TaskStatus::Failed => return Ok(Vec::new()),
            // Naming the status lets the filter walk the status index.
            _ => Selection::Filter(TaskFilter {
                status: Some(TaskStatus::Failed),
                ..filter.into_owned()
            }),
        },
        None => selection.clone(),
    };
    let at = Value::Integer(micros(now));
    let retried = each_selected(conn, &selection, RETRY, RETRIED, vec![at], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut deltas = Deltas::default();
    let kind = EventKind::RetriedByUser.as_str();
    let mut events: Vec<NewEvent<'_>> = Vec::with_capacity(retried.len());
    for (id, queue, task_type) in &retried {
        deltas.moved(queue, task_type, TaskStatus::Failed, TaskStatus::Queued);
        events.push((id.as_str(), kind, 0, None));
    }
    deltas.apply(conn)?;
    history::append_many(conn, now, &events)?;
    let mut ids: Vec<String> = retried.into_iter().map(|(id, _, _)| id).collect();
    match &selection {
        Selection::Ids(order) => {
            let mut left: HashSet<String> = ids.into_iter().collect();
            ids = order
                .iter()
                .filter(|id| left.remove(*id))
                .cloned()
                .collect();
        }
        Selection::Filter(_) | Selection::All => ids.sort(),
    }
    Ok(ids)
}

/// The longest-finished tasks of one status, walking `tasks_finished`.
const PRUNABLE: &str = "SELECT id FROM tasks INDEXED BY tasks_finished \
     WHERE status = ?1 AND finished_at IS NOT NULL AND finished_at < ?2 \
     ORDER BY finished_at LIMIT ?3";

/// Retention: deletes up to `limit` tasks of `status` finished before the
/// time. The choice and the delete share the writer's transaction, so no
/// change can come between them.
pub(crate) fn prune(conn: &Connection, params: &TaskPruneParams) -> Result<u64, Fault> {
    let ids = conn
        .prepare_cached(PRUNABLE)?
        .query_map(
            rusqlite::params![
                params.status.as_str(),
                micros(params.finished_before),
                rows::limit_column(params.limit)
            ],
            |row| row.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(delete_many(conn, &Selection::Ids(ids))?.count)
}

/// Deletes every selected task with its history and search entry.
pub(crate) fn delete_many(conn: &Connection, selection: &Selection) -> Result<BulkDeleted, Fault> {
    let head = "DELETE FROM tasks WHERE ";
    let deleted = each_selected(conn, selection, head, DELETED, Vec::new(), |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            rows::status(row, 2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
        ))
    })?;
    let mut deltas = Deltas::default();
    let mut ids = Vec::with_capacity(deleted.len());
    let mut running = Vec::new();
    for (rowid, id, status, queue, task_type, payload) in deleted {
        deltas.add(&queue, &task_type, status, -1);
        search::unindex(conn, rowid, &id, &payload)?;
        if status == TaskStatus::InProgress {
            running.push(id.clone());
        }
        ids.push(id);
    }
    deltas.apply(conn)?;
    for chunk in ids.chunks(CHUNK) {
        history::delete_many(conn, &chunk_json(chunk)?)?;
    }
    running.sort();
    Ok(BulkDeleted {
        count: ids.len() as u64,
        running,
    })
}
