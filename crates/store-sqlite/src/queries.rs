//! Reads: task lists, running tasks and lapsed leases. Each runs on a read
//! connection and sees the latest commit.

use rusqlite::{Connection, params};
use rustqueue_core::store::{Lease, TaskListParams};
use rustqueue_core::task::{Task, TaskStatus, Timestamp};

use crate::errors::Fault;
use crate::rows::{self, limit_column, micros, task_columns};

/// Tasks of one status, oldest first. The status is a literal, not a
/// parameter, and repeats the condition of `tasks_status`, so SQLite walks
/// that partial index; the others are as in [`crate::filter`].
macro_rules! list_status {
    ($status:literal) => {
        concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE status = '",
            $status,
            "' AND status IN ('QUEUED', 'FAILED') ORDER BY id LIMIT ?1"
        )
    };
}

/// The statement listing tasks of `status`.
pub(crate) fn list_status_sql(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Queued => list_status!("QUEUED"),
        TaskStatus::InProgress => concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks INDEXED BY tasks_leased WHERE status = 'INPROGRESS' ORDER BY id LIMIT ?1"
        ),
        TaskStatus::Completed => concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE status = 'COMPLETED' ORDER BY id LIMIT ?1"
        ),
        TaskStatus::Failed => list_status!("FAILED"),
    }
}

/// Every task, oldest first.
pub(crate) const LIST_ALL: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks ORDER BY id LIMIT ?1"
);

/// Lapsed leases, soonest expired first.
pub(crate) const EXPIRED: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE status = 'INPROGRESS' AND lease_expires_at <= ?1 ORDER BY lease_expires_at LIMIT ?2"
);

/// Running tasks by id after a given id, for walking them all.
pub(crate) const RUNNING: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM tasks WHERE status = 'INPROGRESS' AND id > ?1 ORDER BY id LIMIT ?2"
);

/// Tasks oldest first, optionally of one status, optionally limited.
pub(crate) fn list(conn: &Connection, params: &TaskListParams) -> Result<Vec<Task>, Fault> {
    // LIMIT -1 is SQLite's "no limit".
    let limit = params.limit.map_or(-1, limit_column);
    let sql = params.status.map_or(LIST_ALL, list_status_sql);
    let mut select = conn.prepare_cached(sql)?;
    let tasks = select.query_map([limit], rows::task)?;
    Ok(tasks.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Up to `limit` running tasks whose lease ran out at or before `expired_by`, soonest expired first.
pub(crate) fn expired(
    conn: &Connection,
    expired_by: Timestamp,
    limit: usize,
) -> Result<Vec<Lease>, Fault> {
    let mut select = conn.prepare_cached(EXPIRED)?;
    let leases = select.query_map(
        params![micros(expired_by), limit_column(limit)],
        rows::lease,
    )?;
    Ok(leases.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Up to `limit` running tasks with their leases, by id, after `after`.
pub(crate) fn running(
    conn: &Connection,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Lease>, Fault> {
    let mut select = conn.prepare_cached(RUNNING)?;
    // Every id sorts after the empty string.
    let leases = select.query_map(
        params![after.unwrap_or(""), limit_column(limit)],
        rows::lease,
    )?;
    Ok(leases.collect::<rusqlite::Result<Vec<_>>>()?)
}
