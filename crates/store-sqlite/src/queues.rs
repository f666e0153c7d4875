//! Queues: pausing and resuming one, and listing every queue in use.

use rusqlite::{Connection, params};
use rustqueue_core::store::QueueState;
use rustqueue_core::task::Timestamp;

use crate::errors::Fault;
use crate::rows::micros;

/// Queue names in use and queue records. The recursive CTE jumps from one
/// distinct name to the next through `tasks_queue`: one seek per queue instead
/// of a scan of every task.
pub(crate) const QUEUES: &str = "WITH RECURSIVE used(name) AS ( \
         SELECT min(queue) FROM tasks \
         UNION ALL \
         SELECT (SELECT min(queue) FROM tasks WHERE queue > used.name) FROM used WHERE used.name IS NOT NULL) \
     SELECT name, 0 FROM used WHERE name IS NOT NULL AND name NOT IN (SELECT name FROM queues) \
     UNION ALL SELECT name, paused FROM queues \
     ORDER BY 1";

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

/// Every queue with tasks or a record, by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<QueueState>, Fault> {
    let mut select = conn.prepare_cached(QUEUES)?;
    let queues = select.query_map([], |row| {
        Ok(QueueState {
            name: row.get(0)?,
            paused: row.get(1)?,
            limits: Default::default(), // PLACEHOLDER(flow)
        })
    })?;
    Ok(queues.collect::<rusqlite::Result<Vec<_>>>()?)
}
