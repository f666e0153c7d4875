//! Finding ready tasks without reading the ones that cannot run.
//!
//! `tasks_ready` is ordered by queue, then priority, then `run_at`. A claim
//! reads it per unpaused queue that has queued tasks, and within a queue per
//! priority level, as a range of
//! `run_at <= now`. So neither a paused queue's backlog nor tasks scheduled for
//! later are ever stepped over; one walk in global claim order would read all
//! of them on every claim. The few candidates are merged in Rust into the
//! claim order of `rustqueue_core::store::claim_cmp`.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::store::{CLAIM_ORDER_IN_LEVEL_SQL, CLAIM_ORDER_SQL, StoreError, claim_cmp};
use rustqueue_core::task::Timestamp;

use crate::errors::Fault;
use crate::lease::types_json;
use crate::rows::{self, micros};
use crate::{fair, limited, queues};

/// Priority levels of one queue read one by one; the rest are read in one
/// walk that may step over scheduled tasks. Real queues use a handful.
const MAX_LEVELS: usize = 32;

/// Unpaused queues with queued tasks, found in `tasks_ready` itself (one
/// seek from each queue name to the next), not in the counters: a claim must
/// never depend on a derived number being right. With each, its stored
/// limits (NULL for most), read in the claim's own write transaction.
pub(crate) const ACTIVE_QUEUES: &str = "WITH RECURSIVE queued(name) AS ( \
         SELECT min(queue) FROM tasks INDEXED BY tasks_ready WHERE status = 'QUEUED' \
         UNION ALL \
         SELECT (SELECT min(queue) FROM tasks INDEXED BY tasks_ready \
                 WHERE status = 'QUEUED' AND queue > queued.name) \
         FROM queued WHERE queued.name IS NOT NULL) \
     SELECT name, (SELECT limits FROM queues WHERE queues.name = queued.name) \
     FROM queued WHERE name IS NOT NULL \
     AND name NOT IN (SELECT name FROM queues WHERE paused)";

/// The next lower priority level among a queue's queued tasks.
pub(crate) const NEXT_LEVEL: &str = "SELECT priority FROM tasks INDEXED BY tasks_ready \
     WHERE status = 'QUEUED' AND queue = ?1 AND priority < ?2 \
     ORDER BY priority DESC LIMIT 1";

/// The first due tasks of one queue and priority level, in claim order.
pub(crate) static DUE_AT_LEVEL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, run_at FROM tasks INDEXED BY tasks_ready \
         WHERE status = 'QUEUED' AND queue = ?1 AND priority = ?2 AND run_at <= ?3 \
         AND task_type IN (SELECT value FROM json_each(?4)) \
         ORDER BY {CLAIM_ORDER_IN_LEVEL_SQL} LIMIT ?5"
    )
});

/// The first due tasks of one queue below a priority level, in claim order.
pub(crate) static DUE_BELOW: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, priority, run_at FROM tasks INDEXED BY tasks_ready \
         WHERE status = 'QUEUED' AND queue = ?1 AND priority < ?2 AND run_at <= ?3 \
         AND task_type IN (SELECT value FROM json_each(?4)) \
         ORDER BY {CLAIM_ORDER_SQL} LIMIT ?5"
    )
});

/// The earliest `run_at` of one queue and priority level.
pub(crate) const FIRST_AT_LEVEL: &str = "SELECT run_at FROM tasks INDEXED BY tasks_ready \
     WHERE status = 'QUEUED' AND queue = ?1 AND priority = ?2 \
     AND task_type IN (SELECT value FROM json_each(?3)) \
     ORDER BY run_at LIMIT 1";

/// The earliest `run_at` of one queue below a priority level.
pub(crate) const FIRST_BELOW: &str = "SELECT min(run_at) FROM tasks INDEXED BY tasks_ready \
     WHERE status = 'QUEUED' AND queue = ?1 AND priority < ?2 \
     AND task_type IN (SELECT value FROM json_each(?3))";

/// A ready task, by the fields that order claims.
pub(crate) struct Candidate {
    pub(crate) priority: i64,
    pub(crate) run_at: i64,
    pub(crate) id: String,
    /// In a round-robin queue: the place in claim order the task takes (the
    /// `priority` and `run_at` above are then the place's) and the turn its
    /// key takes (see `fair`).
    pub(crate) fair: Option<Box<FairPick>>,
}

/// Where a round-robin queue's pick goes, and the turn it gives its key.
pub(crate) struct FairPick {
    pub(crate) place_id: String,
    pub(crate) queue: String,
    pub(crate) key: String,
    pub(crate) turn: u64,
}

impl Candidate {
    /// Reads `id, priority, run_at`.
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            priority: row.get(1)?,
            run_at: row.get(2)?,
            fair: None,
        })
    }

    /// The id the claim order compares: the place's, for a round-robin pick.
    fn place_id(&self) -> &str {
        self.fair.as_ref().map_or(&self.id, |fair| &fair.place_id)
    }

    /// The claim order (`rustqueue_core::store::claim_cmp`).
    pub(crate) fn claim_cmp(&self, other: &Self) -> std::cmp::Ordering {
        claim_cmp(
            (self.priority, self.run_at, self.place_id()),
            (other.priority, other.run_at, other.place_id()),
        )
    }
}

/// The ids of the first `limit` due tasks of the types, in claim order.
pub(crate) fn due(
    conn: &Connection,
    types: &[String],
    now: Timestamp,
    limit: usize,
) -> Result<Vec<String>, Fault> {
    let types = types_json(types)?;
    let mut candidates = Vec::new();
    for (queue, limits) in active_queues(conn)? {
        match limits {
            // Most queues have no limits: today's walk, at no extra cost.
            None => due_in_queue(conn, &queue, &types, micros(now), limit, &mut candidates)?,
            Some(limits) => {
                let limits = queues::parse_limits(Some(&limits))?;
                let wanted = Wanted {
                    types: &types,
                    now: micros(now),
                    limit,
                };
                limited::due_in_limited_queue(conn, &queue, &limits, &wanted, &mut candidates)?;
            }
        }
    }
    candidates.sort_unstable_by(Candidate::claim_cmp);
    candidates.truncate(limit);
    fair::take_turns(conn, &candidates)?;
    Ok(candidates.into_iter().map(|c| c.id).collect())
}

/// What a claim looks for: due tasks of the types (a JSON array), at most `limit`.
pub(crate) struct Wanted<'a> {
    pub(crate) types: &'a str,
    pub(crate) now: i64,
    pub(crate) limit: usize,
}

/// Adds up to `limit` of one queue's due tasks, highest priority level first.
pub(crate) fn due_in_queue(
    conn: &Connection,
    queue: &str,
    types: &str,
    now: i64,
    limit: usize,
    candidates: &mut Vec<Candidate>,
) -> Result<(), Fault> {
    let mut at_level = conn.prepare_cached(&DUE_AT_LEVEL)?;
    let mut wanted = limit;
    let mut above = i64::MAX;
    for _ in 0..MAX_LEVELS {
        if wanted == 0 {
            return Ok(());
        }
        let Some(priority) = next_level(conn, queue, above)? else {
            return Ok(());
        };
        let rows = at_level.query_map(
            params![queue, priority, now, types, rows::limit_column(wanted)],
            |row| {
                Ok(Candidate {
                    priority,
                    run_at: row.get(1)?,
                    id: row.get(0)?,
                    fair: None,
                })
            },
        )?;
        for candidate in rows {
            candidates.push(candidate?);
            wanted -= 1;
        }
        above = priority;
    }
    if wanted == 0 {
        return Ok(());
    }
    let mut below = conn.prepare_cached(&DUE_BELOW)?;
    let rows = below.query_map(
        params![queue, above, now, types, rows::limit_column(wanted)],
        Candidate::read,
    )?;
    for candidate in rows {
        candidates.push(candidate?);
    }
    Ok(())
}

/// The earliest `run_at` among queued tasks of the types in unpaused queues.
pub(crate) fn next_run_at(conn: &Connection, types: &[String]) -> Result<Option<Timestamp>, Fault> {
    let types = types_json(types)?;
    let mut earliest: Option<i64> = None;
    for (queue, _) in active_queues(conn)? {
        let first = first_in_queue(conn, &queue, &types)?;
        earliest = match (earliest, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let Some(earliest) = earliest else {
        return Ok(None);
    };
    let at = chrono::DateTime::from_timestamp_micros(earliest)
        .ok_or_else(|| StoreError::other(format!("stored run_at {earliest} is out of range")))?;
    Ok(Some(at))
}

/// The earliest `run_at` of one queue's queued tasks of the types.
fn first_in_queue(conn: &Connection, queue: &str, types: &str) -> Result<Option<i64>, Fault> {
    let mut at_level = conn.prepare_cached(FIRST_AT_LEVEL)?;
    let mut earliest: Option<i64> = None;
    let mut above = i64::MAX;
    for _ in 0..MAX_LEVELS {
        let Some(priority) = next_level(conn, queue, above)? else {
            return Ok(earliest);
        };
        let first: Option<i64> = at_level
            .query_row(params![queue, priority, types], |row| row.get(0))
            .optional()?;
        earliest = earliest.into_iter().chain(first).min();
        above = priority;
    }
    let rest: Option<i64> = conn
        .prepare_cached(FIRST_BELOW)?
        .query_row(params![queue, above, types], |row| row.get(0))?;
    Ok(earliest.into_iter().chain(rest).min())
}

/// The active queues, each with its stored limits.
fn active_queues(conn: &Connection) -> rusqlite::Result<Vec<(String, Option<String>)>> {
    conn.prepare_cached(ACTIVE_QUEUES)?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect()
}

fn next_level(conn: &Connection, queue: &str, above: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(NEXT_LEVEL)?
        .query_row(params![queue, above], |row| row.get(0))
        .optional()
}
