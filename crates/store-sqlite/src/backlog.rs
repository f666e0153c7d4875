//! Each queue's backlog beyond the counters: the queued tasks not due yet
//! (scheduled or retrying) and the oldest due one.
//!
//! Cost: for every queue with queued tasks (one seek each in `tasks_ready`)
//! and every priority level of it (one seek each), one seek finds the oldest
//! due task and one range `run_at > now` counts the tasks not due yet, with a
//! table look-up each for `attempts`. So a scrape reads the not-yet-due
//! tasks, the minority, and never the due ones, however many there are: the
//! counters already know how many tasks are queued. Nothing is added to the
//! write path. Past [`MAX_LEVELS`] levels the rest of a queue is read in one
//! walk, as claims do.

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::store::{QueueBacklog, StoreError};
use rustqueue_core::task::Timestamp;

use crate::errors::Fault;
use crate::ready::NEXT_LEVEL;
use crate::rows::micros;

/// Priority levels of one queue read one by one, as claims do.
const MAX_LEVELS: usize = 32;

/// Every queue with queued tasks, paused or not, by one seek per name.
pub(crate) const QUEUED_QUEUES: &str = "WITH RECURSIVE queued(name) AS ( \
         SELECT min(queue) FROM tasks INDEXED BY tasks_ready WHERE status = 'QUEUED' \
         UNION ALL \
         SELECT (SELECT min(queue) FROM tasks INDEXED BY tasks_ready \
                 WHERE status = 'QUEUED' AND queue > queued.name) \
         FROM queued WHERE queued.name IS NOT NULL) \
     SELECT name FROM queued WHERE name IS NOT NULL";

/// The oldest due `run_at` of one queue and priority level.
pub(crate) const OLDEST_DUE_AT_LEVEL: &str = "SELECT run_at FROM tasks INDEXED BY tasks_ready \
     WHERE status = 'QUEUED' AND queue = ?1 AND priority = ?2 AND run_at <= ?3 \
     ORDER BY run_at LIMIT 1";

/// The tasks of one queue and priority level not due yet, and how many of them were attempted.
pub(crate) const LATER_AT_LEVEL: &str = "SELECT count(*), coalesce(sum(attempts > 0), 0) \
     FROM tasks INDEXED BY tasks_ready \
     WHERE status = 'QUEUED' AND queue = ?1 AND priority = ?2 AND run_at > ?3";

/// The oldest due `run_at` of one queue below a priority level.
pub(crate) const OLDEST_DUE_BELOW: &str = "SELECT min(run_at) FROM tasks INDEXED BY tasks_ready \
     WHERE status = 'QUEUED' AND queue = ?1 AND priority < ?2 AND run_at <= ?3";

/// The tasks of one queue below a priority level not due yet, and how many were attempted.
pub(crate) const LATER_BELOW: &str = "SELECT count(*), coalesce(sum(attempts > 0), 0) \
     FROM tasks INDEXED BY tasks_ready \
     WHERE status = 'QUEUED' AND queue = ?1 AND priority < ?2 AND run_at > ?3";

/// Every queue's backlog at `now`, by name.
pub(crate) fn backlog(conn: &Connection, now: Timestamp) -> Result<Vec<QueueBacklog>, Fault> {
    let names: Vec<String> = conn
        .prepare_cached(QUEUED_QUEUES)?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names
        .into_iter()
        .map(|queue| queue_backlog(conn, queue, micros(now)))
        .collect()
}

/// What one range of a queue adds: its oldest due `run_at`, its tasks not
/// due yet, and how many of those were attempted.
type Part = (Option<i64>, i64, i64);

/// One queue's backlog, level by level.
fn queue_backlog(conn: &Connection, queue: String, now: i64) -> Result<QueueBacklog, Fault> {
    let mut next_level = conn.prepare_cached(NEXT_LEVEL)?;
    let (mut oldest, mut later, mut retrying) = (None::<i64>, 0, 0);
    let mut above = i64::MAX;
    let mut add = |(first, n, attempted): Part| {
        oldest = oldest.into_iter().chain(first).min();
        later += n;
        retrying += attempted;
    };
    for level in 0..=MAX_LEVELS {
        if level == MAX_LEVELS {
            add(part(
                conn,
                [OLDEST_DUE_BELOW, LATER_BELOW],
                &queue,
                above,
                now,
            )?);
            break;
        }
        let Some(priority) = next_level
            .query_row(params![queue, above], |row| row.get::<_, i64>(0))
            .optional()?
        else {
            break;
        };
        above = priority;
        add(part(
            conn,
            [OLDEST_DUE_AT_LEVEL, LATER_AT_LEVEL],
            &queue,
            priority,
            now,
        )?);
    }
    let oldest_ready_at = oldest
        .map(|at| {
            chrono::DateTime::from_timestamp_micros(at)
                .ok_or_else(|| StoreError::other(format!("stored run_at {at} is out of range")))
        })
        .transpose()?;
    Ok(QueueBacklog {
        queue,
        scheduled: u64::try_from(later - retrying).unwrap_or(0),
        retrying: u64::try_from(retrying).unwrap_or(0),
        oldest_ready_at,
    })
}

/// One range of a queue, read with the statements `[oldest, later]`.
fn part(
    conn: &Connection,
    [oldest, later]: [&str; 2],
    queue: &str,
    priority: i64,
    now: i64,
) -> rusqlite::Result<Part> {
    let first: Option<i64> = conn
        .prepare_cached(oldest)?
        .query_row(params![queue, priority, now], |row| row.get(0))
        .optional()?
        .flatten();
    let (n, attempted) = conn
        .prepare_cached(later)?
        .query_row(params![queue, priority, now], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    Ok((first, n, attempted))
}
