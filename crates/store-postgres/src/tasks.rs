//! Writes that people make: retrying, deleting and clearing tasks; and
//! reading tasks by id.

use rustqueue_core::store::StoreError;
use rustqueue_core::task::{Task, TaskStatus, Timestamp};

use crate::connection::Db;
use crate::counters::count_changes;
use crate::errors::Fault;
use crate::rows::{self, TASK_COLUMNS, task_columns};

/// One task by id.
const GET: &str = concat!(
    "SELECT ",
    task_columns!("t"),
    " FROM tasks t WHERE t.id = $1"
);

/// One task by id.
pub(crate) async fn get(db: &Db, id: &str) -> Result<Option<Task>, Fault> {
    let client = db.client().await?;
    let row = client
        .query_opt(&client.prepare_cached(GET).await?, &[&id])
        .await?;
    row.as_ref().map(rows::task).transpose()
}

/// Tasks by id in the order asked (`WITH ORDINALITY` keeps it); unknown ids
/// match nothing, and an id asked twice is joined twice.
const GET_MANY: &str = concat!(
    "SELECT ",
    task_columns!("t"),
    " FROM unnest($1::text[]) WITH ORDINALITY AS asked(id, n)",
    " JOIN tasks t ON t.id = asked.id ORDER BY asked.n"
);

/// The tasks with these ids, in one statement.
pub(crate) async fn get_many(db: &Db, ids: &[String]) -> Result<Vec<Task>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(GET_MANY).await?, &[&ids])
        .await?;
    rows.iter().map(rows::task).collect()
}

/// Moves a `FAILED` task back to `QUEUED` and says what it found. The task's
/// status before comes from `target`, so a refusal can say why in the same
/// statement. If its key is held by another unfinished task, entering the
/// unique index fails the statement: a conflict.
const RETRY: &str = concat!(
    "WITH target AS (SELECT id, status FROM tasks WHERE id = $1), ",
    "retried AS (",
    " UPDATE tasks t SET status = 'QUEUED', attempts = 0, run_at = $2, updated_at = $2,",
    " started_at = NULL, finished_at = NULL WHERE t.id = $1 AND t.status = 'FAILED' RETURNING ",
    task_columns!("t"),
    "), ",
    "events AS (",
    " INSERT INTO task_events (task_id, at, kind, attempt)",
    " SELECT r.id, $2, 'retried_by_user', r.attempts FROM retried r), ",
    count_changes!(
        "SELECT queue, task_type, 'FAILED' AS status, -1 AS delta FROM retried \
         UNION ALL SELECT queue, task_type, 'QUEUED', 1 FROM retried"
    ),
    ", wake AS (SELECT pg_notify($3, '') FROM retried) ",
    "SELECT ",
    task_columns!("r"),
    ", target.status, (SELECT count(*) FROM wake) FROM target LEFT JOIN retried r ON true"
);

/// Moves a `FAILED` task back to `QUEUED` with a fresh attempt budget.
pub(crate) async fn retry(db: &Db, id: &str, now: Timestamp) -> Result<Task, Fault> {
    let client = db.client().await?;
    let retry = client.prepare_cached(RETRY).await?;
    let row = client
        .query_opt(&retry, &[&id, &now, &db.channel])
        .await?
        .ok_or(StoreError::NotFound)?;
    if row.try_get::<_, Option<&str>>(0)?.is_some() {
        return rows::task(&row);
    }
    let before: &str = row.try_get(TASK_COLUMNS)?;
    let message = match before.parse::<TaskStatus>() {
        Ok(TaskStatus::Failed) => "task changed while it was being retried".to_owned(),
        _ => format!("task is {before}, not FAILED"),
    };
    Err(StoreError::conflict(message).into())
}

/// Deletes a task, returning it as it was, and uncounts it.
const DELETE: &str = concat!(
    "WITH gone AS (DELETE FROM tasks t WHERE t.id = $1 RETURNING ",
    task_columns!("t"),
    "), ",
    count_changes!("SELECT queue, task_type, status, -1 AS delta FROM gone"),
    " SELECT ",
    task_columns!("g"),
    " FROM gone g"
);

/// Deletes a task's history.
const DELETE_HISTORY: &str = "DELETE FROM task_events WHERE task_id = $1";

/// Deletes a task and its history, returning it as it was.
pub(crate) async fn delete(db: &Db, id: &str) -> Result<Option<Task>, Fault> {
    let mut client = db.client().await?;
    let tx = client.transaction().await?;
    let deleted = tx
        .query_opt(&tx.prepare_cached(DELETE).await?, &[&id])
        .await?;
    let Some(row) = deleted else {
        return Ok(None);
    };
    let task = rows::task(&row)?;
    // A statement of its own, after the delete: its snapshot includes the event
    // of any transition that held the row until just now, and no later
    // transition can add one (it would find the task gone).
    tx.execute(&tx.prepare_cached(DELETE_HISTORY).await?, &[&id])
        .await?;
    tx.commit().await?;
    Ok(Some(task))
}

/// Deletes every task and all history; queue states stay. The lock makes the
/// count exact: no task comes or goes between counting and truncating.
pub(crate) async fn clear(db: &Db) -> Result<u64, Fault> {
    let mut client = db.client().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("LOCK TABLE tasks, task_events IN ACCESS EXCLUSIVE MODE")
        .await?;
    let count: i64 = tx
        .query_one("SELECT count(*) FROM tasks", &[])
        .await?
        .try_get(0)?;
    tx.batch_execute("TRUNCATE tasks, task_events, task_counts")
        .await?;
    tx.commit().await?;
    Ok(u64::try_from(count).unwrap_or(0))
}
