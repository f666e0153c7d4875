//! Queues: pausing and resuming one, setting its limits, the usage of its
//! keys, and listing every queue in use.

use rusqlite::{Connection, params};
use rustqueue_core::limits::QueueLimits;
use rustqueue_core::store::{KeyUsage, QueueState, StoreError};
use rustqueue_core::task::Timestamp;

use crate::errors::Fault;
use crate::rows::{limit_column, micros};

/// Queue names in use and queue records. The recursive CTE jumps from one
/// distinct name to the next through `tasks_queue`: one seek per queue instead
/// of a scan of every task.
pub(crate) const QUEUES: &str = "WITH RECURSIVE used(name) AS ( \
         SELECT min(queue) FROM tasks \
         UNION ALL \
         SELECT (SELECT min(queue) FROM tasks WHERE queue > used.name) FROM used WHERE used.name IS NOT NULL) \
     SELECT name, 0, NULL FROM used WHERE name IS NOT NULL AND name NOT IN (SELECT name FROM queues) \
     UNION ALL SELECT name, paused, limits FROM queues \
     ORDER BY 1";

/// The busiest keys of one queue's running tasks, read from `tasks_running`.
pub(crate) const KEY_USAGE: &str = "SELECT concurrency_key, count(*) AS running \
     FROM tasks INDEXED BY tasks_running \
     WHERE status = 'INPROGRESS' AND queue = ?1 AND concurrency_key IS NOT NULL \
     GROUP BY concurrency_key ORDER BY running DESC, concurrency_key LIMIT ?2";

/// Pauses a queue, creating its record if needed, or resumes it, removing
/// the record unless it keeps limits (not paused is the default).
pub(crate) fn set_paused(
    conn: &Connection,
    name: &str,
    paused: bool,
    now: Timestamp,
) -> Result<(), Fault> {
    if !paused {
        conn.prepare_cached("UPDATE queues SET paused = 0, updated_at = ?2 WHERE name = ?1")?
            .execute(params![name, micros(now)])?;
        drop_if_default(conn, name)?;
        return Ok(());
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO queues (name, paused, updated_at) VALUES (?1, 1, ?2) \
         ON CONFLICT (name) DO UPDATE SET paused = 1, updated_at = excluded.updated_at",
    )?;
    upsert.execute(params![name, micros(now)])?;
    Ok(())
}

/// Replaces a queue's limits, creating its record if needed; an unpaused
/// queue left with no limits loses its record.
pub(crate) fn set_limits(
    conn: &Connection,
    name: &str,
    limits: &QueueLimits,
    now: Timestamp,
) -> Result<(), Fault> {
    let stored = if limits.is_unlimited() {
        None
    } else {
        Some(
            serde_json::to_string(limits)
                .map_err(|err| StoreError::other(format!("cannot encode limits: {err}")))?,
        )
    };
    let mut upsert = conn.prepare_cached(
        "INSERT INTO queues (name, paused, updated_at, limits) VALUES (?1, 0, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at",
    )?;
    upsert.execute(params![name, micros(now), stored])?;
    if !limits.is_round_robin() {
        // Turns left from an earlier round-robin would order a later one.
        conn.prepare_cached("DELETE FROM key_turns WHERE queue = ?1")?
            .execute([name])?;
    }
    drop_if_default(conn, name)
}

/// Removes a record that says nothing a queue without one would not.
fn drop_if_default(conn: &Connection, name: &str) -> Result<(), Fault> {
    conn.prepare_cached("DELETE FROM queues WHERE name = ?1 AND NOT paused AND limits IS NULL")?
        .execute([name])?;
    Ok(())
}

/// Reads stored limits (NULL: none).
pub(crate) fn parse_limits(stored: Option<&str>) -> Result<QueueLimits, StoreError> {
    stored.map_or(Ok(QueueLimits::default()), |text| {
        serde_json::from_str(text)
            .map_err(|err| StoreError::other(format!("stored queue limits {text:?}: {err}")))
    })
}

/// Every queue with tasks or a record, by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<QueueState>, Fault> {
    let mut select = conn.prepare_cached(QUEUES)?;
    let rows = select.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, bool>(1)?,
            row.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut queues = Vec::new();
    for row in rows {
        let (name, paused, limits) = row?;
        let limits = parse_limits(limits.as_deref())?;
        queues.push(QueueState {
            name,
            paused,
            limits,
        });
    }
    Ok(queues)
}

/// The `limit` busiest keys of a queue's running tasks, then by key.
pub(crate) fn key_usage(
    conn: &Connection,
    queue: &str,
    limit: usize,
) -> Result<Vec<KeyUsage>, Fault> {
    let mut select = conn.prepare_cached(KEY_USAGE)?;
    let usage = select.query_map(params![queue, limit_column(limit)], |row| {
        Ok(KeyUsage {
            key: row.get(0)?,
            running: row.get(1)?,
        })
    })?;
    Ok(usage.collect::<rusqlite::Result<Vec<_>>>()?)
}
