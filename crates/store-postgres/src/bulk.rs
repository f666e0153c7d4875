//! Operations on many tasks: retrying or deleting a selection in one
//! transaction, and retention's batches.

use std::collections::HashMap;

use rustqueue_core::store::{BulkDeleted, Selection, TaskPruneParams};
use rustqueue_core::task::{TaskStatus, Timestamp};

use crate::connection::Db;
use crate::counters::count_changes;
use crate::errors::Fault;
use crate::filter::Conditions;
use crate::rows::limit_column;

/// The `FAILED` tasks a selection names, as `picked(id, unique_key, ord)`,
/// `ord` being the position in the selection (ids in the order given, or by id).
fn picked(selection: &Selection, conditions: &mut Conditions) -> String {
    match selection {
        Selection::Ids(ids) => {
            let n = conditions.param(ids.clone());
            format!(
                "SELECT DISTINCT ON (t.id) t.id, t.unique_key, s.ord \
                 FROM unnest(${n}::text[]) WITH ORDINALITY AS s(id, ord) JOIN tasks t ON t.id = s.id \
                 WHERE t.status = 'FAILED' ORDER BY t.id, s.ord"
            )
        }
        Selection::Filter(_) | Selection::All => {
            *conditions = Conditions::of(&selection.filter().unwrap_or_default());
            conditions.push("t.status = 'FAILED'");
            format!(
                "SELECT t.id, t.unique_key, row_number() OVER (ORDER BY t.id) AS ord FROM tasks t{}",
                conditions.where_clause()
            )
        }
    }
}

/// Moves every selected `FAILED` task back to `QUEUED`, skipping those whose
/// key another unfinished task holds (and, of several selected tasks sharing
/// a key, all but the first), and returns the retried ids in selection order.
pub(crate) async fn retry_many(
    db: &Db,
    selection: &Selection,
    now: Timestamp,
) -> Result<Vec<String>, Fault> {
    let mut conditions = Conditions::default();
    let picked = picked(selection, &mut conditions);
    let now = conditions.param(now);
    let channel = conditions.param(db.channel.clone());
    let counted = format!(
        count_changes!("{}"),
        "SELECT queue, task_type, 'FAILED' AS status, -1 AS delta FROM retried \
         UNION ALL SELECT queue, task_type, 'QUEUED', 1 FROM retried"
    );
    let sql = format!(
        "WITH picked AS ({picked}), \
         eligible AS (\
           SELECT DISTINCT ON (p.unique_key IS NULL, coalesce(p.unique_key, p.id)) p.id, p.ord \
           FROM picked p WHERE p.unique_key IS NULL OR NOT EXISTS (\
             SELECT 1 FROM tasks h WHERE h.unique_key = p.unique_key AND h.unique_key IS NOT NULL \
             AND h.status IN ('QUEUED', 'INPROGRESS')) \
           ORDER BY p.unique_key IS NULL, coalesce(p.unique_key, p.id), p.ord), \
         retried AS (\
           UPDATE tasks t SET status = 'QUEUED', attempts = 0, run_at = ${now}, updated_at = ${now}, \
           started_at = NULL, finished_at = NULL FROM eligible e WHERE t.id = e.id AND t.status = 'FAILED' \
           RETURNING t.id, t.attempts, t.queue, t.task_type, e.ord), \
         events AS (\
           INSERT INTO task_events (task_id, at, kind, attempt) \
           SELECT id, ${now}, 'retried_by_user', attempts FROM retried), \
         {counted}, \
         wake AS (SELECT pg_notify(${channel}, '') FROM (SELECT 1 FROM retried LIMIT 1) AS any_retried) \
         SELECT ARRAY(SELECT id FROM retried ORDER BY ord), (SELECT count(*) FROM wake)"
    );
    let client = db.client().await?;
    let retry = client.prepare_cached(&sql).await?;
    let row = client.query_one(&retry, &conditions.params()).await?;
    Ok(row.try_get(0)?)
}

/// Deletes every selected task and its history; says how many went and which were running.
pub(crate) async fn delete_many(db: &Db, selection: &Selection) -> Result<BulkDeleted, Fault> {
    let mut conditions = Conditions::default();
    let sql = match selection {
        Selection::Ids(ids) => {
            let n = conditions.param(ids.clone());
            format!("DELETE FROM tasks t WHERE t.id = ANY(${n}::text[])")
        }
        Selection::Filter(_) | Selection::All => {
            conditions = Conditions::of(&selection.filter().unwrap_or_default());
            format!("DELETE FROM tasks t{}", conditions.where_clause())
        }
    };
    let counted = format!(
        count_changes!("{}"),
        "SELECT queue, task_type, status, -1 AS delta FROM gone"
    );
    let sql = format!(
        "WITH gone AS ({sql} RETURNING t.id, t.status, t.queue, t.task_type), {counted} \
         SELECT id, status FROM gone"
    );
    let mut client = db.client().await?;
    let tx = client.transaction().await?;
    let rows = tx
        .query(&tx.prepare_cached(&sql).await?, &conditions.params())
        .await?;
    let mut deleted = Vec::with_capacity(rows.len());
    let mut running = Vec::new();
    for row in &rows {
        let id: String = row.try_get(0)?;
        if row.try_get::<_, &str>(1)? == TaskStatus::InProgress.as_str() {
            running.push(id.clone());
        }
        deleted.push(id);
    }
    if !deleted.is_empty() {
        // A statement of its own, for the reason `tasks::delete` gives.
        let history = tx
            .prepare_cached("DELETE FROM task_events WHERE task_id = ANY($1::text[])")
            .await?;
        tx.execute(&history, &[&deleted]).await?;
    }
    tx.commit().await?;
    if let Selection::Ids(ids) = selection {
        // In the order the selection gave (the statement returns them in any order).
        let order: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .rev()
            .collect();
        running.sort_by_key(|id| order.get(id.as_str()).copied());
    } else {
        running.sort();
    }
    Ok(BulkDeleted {
        count: deleted.len() as u64,
        running,
    })
}

/// Retention's batch: the longest-finished tasks of one status (walking
/// `tasks_finished`), locked so that a retry or delete racing it either goes
/// first (and the row no longer matches) or waits; `SKIP LOCKED` lets two
/// nodes' pruners, or a pruner and a bulk change, pass each other.
const PRUNE: &str = concat!(
    "WITH doomed AS (SELECT id FROM tasks WHERE status = $1 AND finished_at IS NOT NULL",
    " AND finished_at < $2 ORDER BY finished_at LIMIT $3 FOR UPDATE SKIP LOCKED), ",
    "gone AS (DELETE FROM tasks t WHERE t.id = ANY(ARRAY(SELECT id FROM doomed))",
    " AND t.status = $1 RETURNING t.id, t.queue, t.task_type), ",
    count_changes!("SELECT queue, task_type, $1 AS status, -1 AS delta FROM gone"),
    " SELECT id FROM gone"
);

/// Retention: deletes up to `limit` tasks of `status` finished before the
/// time, with their history, in one transaction.
pub(crate) async fn prune(db: &Db, params: &TaskPruneParams) -> Result<u64, Fault> {
    let mut client = db.client().await?;
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            &tx.prepare_cached(PRUNE).await?,
            &[
                &params.status.as_str(),
                &params.finished_before,
                &limit_column(params.limit),
            ],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|row| row.try_get::<_, String>(0))
        .collect::<Result<Vec<_>, _>>()?;
    if !ids.is_empty() {
        let history = tx
            .prepare_cached("DELETE FROM task_events WHERE task_id = ANY($1::text[])")
            .await?;
        tx.execute(&history, &[&ids]).await?;
    }
    tx.commit().await?;
    Ok(ids.len() as u64)
}
