//! The counters in `task_counts`: how many tasks each (queue, type) has in
//! each status. Each statement that changes tasks adds its deltas with
//! [`count_changes!`], so the counts move in the same statement as the tasks
//! and reading them never counts `tasks`.

use rustqueue_core::store::{CountRow, StoreError};
use rustqueue_core::task::TaskStatus;

use crate::connection::Db;
use crate::errors::Fault;

/// A CTE named `counted` that adds to the counters every row of `$deltas`, a
/// query of `(queue, task_type, status, delta)`: one upsert per group, in key
/// order, into this connection's slot. Given `"{}"`, it is a format string.
macro_rules! count_changes {
    ($deltas:literal) => {
        concat!(
            "counted AS (INSERT INTO task_counts AS tc (queue, task_type, status, slot, n) ",
            "SELECT d.queue, d.task_type, d.status, pg_backend_pid() % 16, sum(d.delta) FROM (",
            $deltas,
            ") AS d GROUP BY d.queue, d.task_type, d.status HAVING sum(d.delta) <> 0 ",
            "ORDER BY d.queue, d.task_type, d.status ",
            "ON CONFLICT (queue, task_type, status, slot) DO UPDATE SET n = tc.n + excluded.n)"
        )
    };
}
pub(crate) use count_changes;

/// Every group with tasks, summed over the slots.
const ROWS: &str = "SELECT queue, task_type, status, sum(n)::bigint FROM task_counts \
     GROUP BY queue, task_type, status HAVING sum(n) > 0";

/// Totals per status.
const BY_STATUS: &str = "SELECT status, sum(n)::bigint FROM task_counts GROUP BY status";

fn status(text: &str) -> Result<TaskStatus, Fault> {
    text.parse::<TaskStatus>()
        .map_err(|err| StoreError::other(format!("unexpected status in task_counts: {err}")).into())
}

fn count(n: i64) -> u64 {
    // Counters move with the tasks in one statement; a negative sum could only
    // come from editing the tables by hand, and reads as none.
    u64::try_from(n).unwrap_or(0)
}

/// The groups with tasks, by queue, type and status (in life-cycle order).
pub(crate) async fn rows(db: &Db) -> Result<Vec<CountRow>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(ROWS).await?, &[])
        .await?;
    let mut counted = Vec::with_capacity(rows.len());
    for row in &rows {
        counted.push(CountRow {
            queue: row.try_get(0)?,
            task_type: row.try_get(1)?,
            status: status(row.try_get(2)?)?,
            count: count(row.try_get(3)?),
        });
    }
    counted.sort_by(|a, b| {
        (&a.queue, &a.task_type, a.status).cmp(&(&b.queue, &b.task_type, b.status))
    });
    Ok(counted)
}

/// How many tasks are in each status, zeros included.
pub(crate) async fn by_status(
    db: &Db,
) -> Result<std::collections::BTreeMap<TaskStatus, u64>, Fault> {
    let client = db.client().await?;
    let mut counts: std::collections::BTreeMap<TaskStatus, u64> =
        TaskStatus::ALL.into_iter().map(|s| (s, 0)).collect();
    for row in client
        .query(&client.prepare_cached(BY_STATUS).await?, &[])
        .await?
    {
        counts.insert(status(row.try_get(0)?)?, count(row.try_get(1)?));
    }
    Ok(counts)
}
