//! The counters in `task_counts`: how many tasks each (queue, type) has in
//! each status. Every change gathers its deltas in Rust and applies one
//! upsert per group it touched, inside its own transaction, so a batch of
//! hundreds of claims costs a couple of statements, not hundreds.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};
use rustqueue_core::store::CountRow;
use rustqueue_core::task::TaskStatus;

use crate::errors::Fault;
use crate::rows;

/// Count changes per (queue, type, status), gathered while a command runs.
#[derive(Debug, Default)]
pub(crate) struct Deltas {
    /// Few groups per command (usually one or two), so a list beats a map.
    groups: Vec<(String, String, TaskStatus, i64)>,
}

impl Deltas {
    /// Adds `delta` tasks of this queue and type to `status` (negative removes).
    pub(crate) fn add(&mut self, queue: &str, task_type: &str, status: TaskStatus, delta: i64) {
        let found = self
            .groups
            .iter_mut()
            .find(|(q, t, s, _)| *s == status && q == queue && t == task_type);
        match found {
            Some((_, _, _, count)) => *count += delta,
            None => self
                .groups
                .push((queue.to_owned(), task_type.to_owned(), status, delta)),
        }
    }

    /// Moves one task of this queue and type from `from` to `to`.
    pub(crate) fn moved(&mut self, queue: &str, task_type: &str, from: TaskStatus, to: TaskStatus) {
        if from != to {
            self.add(queue, task_type, from, -1);
            self.add(queue, task_type, to, 1);
        }
    }

    /// Writes the deltas: one upsert per group whose count changed.
    pub(crate) fn apply(self, conn: &Connection) -> rusqlite::Result<()> {
        let mut upsert = conn.prepare_cached(UPSERT)?;
        for (queue, task_type, status, delta) in &self.groups {
            if *delta != 0 {
                upsert.execute(params![queue, task_type, status.as_str(), delta])?;
            }
        }
        Ok(())
    }
}

/// Adds a delta to one counter, creating it at the delta.
pub(crate) const UPSERT: &str = "INSERT INTO task_counts (queue, task_type, status, count) \
     VALUES (?1, ?2, ?3, ?4) \
     ON CONFLICT (queue, task_type, status) DO UPDATE SET count = count + excluded.count";

/// Every counter above zero.
pub(crate) const ROWS: &str =
    "SELECT queue, task_type, status, count FROM task_counts WHERE count > 0";

/// Totals per status, from the counters in one statement (one snapshot).
pub(crate) const BY_STATUS: &str = "SELECT status, sum(count) FROM task_counts GROUP BY status";

/// Zeroes every counter (all tasks are gone).
pub(crate) fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM task_counts")?
        .execute([])?;
    Ok(())
}

/// The counters above zero, by queue, type and status (in life-cycle order).
pub(crate) fn rows(conn: &Connection) -> Result<Vec<CountRow>, Fault> {
    let mut select = conn.prepare_cached(ROWS)?;
    let mut counted = select
        .query_map([], |row| {
            Ok(CountRow {
                queue: row.get(0)?,
                task_type: row.get(1)?,
                status: rows::status(row, 2)?,
                count: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    counted.sort_by(|a, b| {
        (&a.queue, &a.task_type, a.status).cmp(&(&b.queue, &b.task_type, b.status))
    });
    Ok(counted)
}

/// How many tasks are in each status, zeros included.
pub(crate) fn by_status(conn: &Connection) -> Result<BTreeMap<TaskStatus, u64>, Fault> {
    let mut counts: BTreeMap<TaskStatus, u64> =
        TaskStatus::ALL.iter().map(|status| (*status, 0)).collect();
    let mut select = conn.prepare_cached(BY_STATUS)?;
    let totals = select.query_map([], |row| Ok((rows::status(row, 0)?, row.get(1)?)))?;
    for total in totals {
        let (status, count) = total?;
        counts.insert(status, count);
    }
    Ok(counts)
}
