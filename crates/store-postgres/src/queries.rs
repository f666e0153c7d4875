//! Reads: task lists, running tasks and lapsed leases.

use rustqueue_core::store::{Lease, TaskListParams};
use rustqueue_core::task::{Task, TaskStatus, Timestamp};

use crate::connection::Db;
use crate::errors::Fault;
use crate::rows::{self, limit_column, task_columns};

/// Tasks of one status, oldest first. The status is a literal, not a
/// parameter, so even a generic plan can use the partial indexes.
macro_rules! list_status {
    ($status:literal) => {
        concat!(
            "SELECT ",
            task_columns!("t"),
            " FROM tasks t WHERE t.status = '",
            $status,
            "' ORDER BY t.id LIMIT $1"
        )
    };
}

/// The statement listing tasks of `status`.
fn list_status_sql(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Queued => list_status!("QUEUED"),
        TaskStatus::InProgress => list_status!("INPROGRESS"),
        TaskStatus::Completed => list_status!("COMPLETED"),
        TaskStatus::Failed => list_status!("FAILED"),
    }
}

/// Every task, oldest first (`LIMIT NULL` is no limit).
const LIST_ALL: &str = concat!(
    "SELECT ",
    task_columns!("t"),
    " FROM tasks t ORDER BY t.id LIMIT $1"
);

/// Tasks oldest first, optionally of one status, optionally limited.
pub(crate) async fn list(db: &Db, params: &TaskListParams) -> Result<Vec<Task>, Fault> {
    let limit: Option<i64> = params.limit.map(limit_column);
    let sql = params.status.map_or(LIST_ALL, list_status_sql);
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(sql).await?, &[&limit])
        .await?;
    rows.iter().map(rows::task).collect()
}

/// Lapsed leases, soonest expired first, from the index of running tasks.
const EXPIRED: &str = concat!(
    "SELECT ",
    task_columns!("t"),
    " FROM tasks t WHERE t.status = 'INPROGRESS' AND t.lease_expires_at <= $1",
    " ORDER BY t.lease_expires_at LIMIT $2"
);

const RUNNING: &str = concat!(
    "SELECT ",
    task_columns!("t"),
    " FROM tasks t WHERE t.status = 'INPROGRESS' AND t.id > $1 ORDER BY t.id LIMIT $2"
);

/// Up to `limit` running tasks with their leases, by id, after `after`.
pub(crate) async fn running(
    db: &Db,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Lease>, Fault> {
    let client = db.client().await?;
    let select = client.prepare_cached(RUNNING).await?;
    // Every id sorts after the empty string.
    let after = after.unwrap_or("");
    let rows = client
        .query(&select, &[&after, &limit_column(limit)])
        .await?;
    rows.iter().map(rows::lease).collect()
}

/// Up to `limit` running tasks whose lease ran out at or before `expired_by`.
pub(crate) async fn expired(
    db: &Db,
    expired_by: Timestamp,
    limit: usize,
) -> Result<Vec<Lease>, Fault> {
    let client = db.client().await?;
    let select = client.prepare_cached(EXPIRED).await?;
    let rows = client
        .query(&select, &[&expired_by, &limit_column(limit)])
        .await?;
    rows.iter().map(rows::lease).collect()
}
