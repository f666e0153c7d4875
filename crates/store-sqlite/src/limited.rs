//! The claim's walk of a queue with limits.
//!
//! What runs now is counted from `tasks_running`. When keys are limited, a
//! claim first reads the head of the queue in claim order, a few times its
//! room (`admit_from_head`), which usually fills the room. When a saturated
//! key fills the head instead, the queue's ready keyed tasks are read per key
//! from `tasks_ready_by_key`,
//! jumping from one key to the next (one seek each) and reading nothing of a
//! saturated key, so a key whose backlog fills the head of the queue never
//! holds back another. Each key gives at most its room of candidates, the
//! tasks without a key at most the queue's; `Room::admit` then picks among
//! them in claim order, the same rule every store applies.

use std::collections::HashMap;
use std::sync::LazyLock;

use rusqlite::{Connection, params};
use rustqueue_core::limits::{QueueLimits, Room};
use rustqueue_core::store::{CLAIM_ORDER_SQL, StoreError};

use crate::errors::Fault;
use crate::ready::{Candidate, Wanted, due_in_queue};
use crate::rows::limit_column;

/// How many of a queue's tasks run now.
pub(crate) const RUNNING: &str = "SELECT count(*) FROM tasks INDEXED BY tasks_running \
     WHERE status = 'INPROGRESS' AND queue = ?1";

/// How many of a queue's tasks run now per key.
pub(crate) const RUNNING_BY_KEY: &str = "SELECT concurrency_key, count(*) \
     FROM tasks INDEXED BY tasks_running \
     WHERE status = 'INPROGRESS' AND queue = ?1 AND concurrency_key IS NOT NULL \
     GROUP BY concurrency_key";

/// The distinct keys of a queue's queued keyed tasks: one seek from each key
/// to the next, as `ready::ACTIVE_QUEUES` jumps between queues.
pub(crate) const READY_KEYS: &str = "WITH RECURSIVE ready_keys(key) AS ( \
         SELECT min(concurrency_key) FROM tasks INDEXED BY tasks_ready_by_key \
         WHERE status = 'QUEUED' AND concurrency_key IS NOT NULL AND queue = ?1 \
         UNION ALL \
         SELECT (SELECT min(concurrency_key) FROM tasks INDEXED BY tasks_ready_by_key \
                 WHERE status = 'QUEUED' AND concurrency_key IS NOT NULL AND queue = ?1 \
                 AND concurrency_key > ready_keys.key) \
         FROM ready_keys WHERE ready_keys.key IS NOT NULL) \
     SELECT key FROM ready_keys WHERE key IS NOT NULL";

/// The first due tasks of one key of a queue, in claim order.
pub(crate) static DUE_IN_KEY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, priority, run_at FROM tasks INDEXED BY tasks_ready_by_key \
         WHERE status = 'QUEUED' AND concurrency_key IS NOT NULL \
         AND queue = ?1 AND concurrency_key = ?2 AND run_at <= ?3 \
         AND task_type IN (SELECT value FROM json_each(?4)) \
         ORDER BY {CLAIM_ORDER_SQL} LIMIT ?5"
    )
});

/// The first due tasks without a key of a queue, in claim order.
pub(crate) static DUE_UNKEYED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, priority, run_at FROM tasks INDEXED BY tasks_ready \
         WHERE status = 'QUEUED' AND queue = ?1 AND run_at <= ?2 \
         AND task_type IN (SELECT value FROM json_each(?3)) AND concurrency_key IS NULL \
         ORDER BY {CLAIM_ORDER_SQL} LIMIT ?4"
    )
});

/// Adds the due tasks of a limited queue that its limits let start now, at
/// most `wanted.limit`, in claim order.
pub(crate) fn due_in_limited_queue(
    conn: &Connection,
    queue: &str,
    limits: &QueueLimits,
    wanted: &Wanted<'_>,
    candidates: &mut Vec<Candidate>,
) -> Result<(), Fault> {
    if limits.is_unlimited() {
        return due_in_queue(
            conn,
            queue,
            wanted.types,
            wanted.now,
            wanted.limit,
            candidates,
        );
    }
    if limits.is_round_robin() {
        return crate::fair::due_in_fair_queue(conn, queue, limits, wanted, candidates);
    }
    let mut room = room(conn, queue, limits, wanted.limit)?;
    if room.left() == 0 {
        return Ok(());
    }
    if !limits.limits_keys() {
        // Only the queue is limited: today's walk, for no more than its room.
        let left = room.left();
        return due_in_queue(conn, queue, wanted.types, wanted.now, left, candidates);
    }
    if admit_from_head(conn, queue, &mut room, wanted, candidates)? {
        return Ok(());
    }
    for (candidate, key) in offered(conn, queue, &room, wanted)? {
        if room.left() == 0 {
            break;
        }
        if room.admit(key.as_deref()) {
            candidates.push(candidate);
        }
    }
    Ok(())
}

/// The keys of tasks, by id.
const KEYS_OF: &str = "SELECT id, concurrency_key FROM tasks \
     WHERE id IN (SELECT value FROM json_each(?1))";

/// The fast path of a key-limited claim: the queue's first due tasks in
/// claim order, a few times the room, admitted one by one. When that fills
/// the room, or reads every due task, the result is the key-by-key walk's
/// (the first tasks in claim order whose key has room) at a fraction of
/// its cost; else a saturated key fills the head, and the caller walks key
/// by key so that it holds back no other. True when it decided the claim.
fn admit_from_head(
    conn: &Connection,
    queue: &str,
    room: &mut Room<'_>,
    wanted: &Wanted<'_>,
    candidates: &mut Vec<Candidate>,
) -> Result<bool, Fault> {
    let read = room.left().saturating_mul(4).max(64);
    let mut head = Vec::new();
    due_in_queue(conn, queue, wanted.types, wanted.now, read, &mut head)?;
    let ids = serde_json::to_string(&head.iter().map(|c| c.id.as_str()).collect::<Vec<_>>())
        .map_err(|err| StoreError::other(format!("cannot encode task ids: {err}")))?;
    let keys: HashMap<String, Option<String>> = conn
        .prepare_cached(KEYS_OF)?
        .query_map([ids], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let exhausted = head.len() < read;
    let mut trial = room.clone();
    let mut picked = Vec::new();
    for candidate in head {
        if trial.left() == 0 {
            break;
        }
        let key = keys.get(&candidate.id).and_then(Option::as_deref);
        if trial.admit(key) {
            picked.push(candidate);
        }
    }
    if trial.left() > 0 && !exhausted {
        return Ok(false);
    }
    *room = trial;
    candidates.extend(picked);
    Ok(true)
}

/// Each unsaturated key's first due tasks (at most its room) and the first
/// due tasks without a key (at most the queue's room), with their keys, in
/// claim order.
pub(crate) fn offered(
    conn: &Connection,
    queue: &str,
    room: &Room<'_>,
    wanted: &Wanted<'_>,
) -> Result<Vec<(Candidate, Option<String>)>, Fault> {
    let mut offered = keyed_candidates(conn, queue, room, wanted)?;
    for candidate in unkeyed_candidates(conn, queue, wanted, room.left())? {
        offered.push((candidate, None));
    }
    offered.sort_unstable_by(|(a, _), (b, _)| a.claim_cmp(b));
    Ok(offered)
}

/// The room a claim of at most `wanted` has in a queue with these limits.
pub(crate) fn room<'a>(
    conn: &Connection,
    queue: &str,
    limits: &'a QueueLimits,
    wanted: usize,
) -> Result<Room<'a>, Fault> {
    let running = if limits.concurrency.is_some() {
        conn.prepare_cached(RUNNING)?
            .query_row([queue], |row| row.get(0))?
    } else {
        // Without a queue-wide limit the total bounds nothing.
        0
    };
    let by_key = if limits.limits_keys() {
        running_by_key(conn, queue)?
    } else {
        Vec::new()
    };
    Ok(Room::new(limits, running, by_key, wanted))
}

/// The due tasks without a key of a queue, at most `limit`, in claim order.
fn unkeyed_candidates(
    conn: &Connection,
    queue: &str,
    wanted: &Wanted<'_>,
    limit: usize,
) -> Result<Vec<Candidate>, Fault> {
    let mut unkeyed = conn.prepare_cached(&DUE_UNKEYED)?;
    let rows = unkeyed.query_map(
        params![queue, wanted.now, wanted.types, limit_column(limit)],
        Candidate::read,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Each unsaturated key's first due tasks, at most its room of them.
fn keyed_candidates(
    conn: &Connection,
    queue: &str,
    room: &Room<'_>,
    wanted: &Wanted<'_>,
) -> Result<Vec<(Candidate, Option<String>)>, Fault> {
    let keys = conn
        .prepare_cached(READY_KEYS)?
        .query_map([queue], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut in_key = conn.prepare_cached(&DUE_IN_KEY)?;
    let mut offered = Vec::new();
    for key in keys {
        let left = room.left_for(Some(&key));
        if left == 0 {
            continue;
        }
        let rows = in_key.query_map(
            params![queue, key, wanted.now, wanted.types, limit_column(left)],
            Candidate::read,
        )?;
        for candidate in rows {
            offered.push((candidate?, Some(key.clone())));
        }
    }
    Ok(offered)
}

/// Running tasks per key of a queue.
fn running_by_key(conn: &Connection, queue: &str) -> rusqlite::Result<Vec<(String, u64)>> {
    conn.prepare_cached(RUNNING_BY_KEY)?
        .query_map([queue], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect()
}

/// Every statement a limited claim runs besides the plain walk's, for plan checks.
pub(crate) fn statements() -> [&'static str; 7] {
    [
        KEYS_OF,
        crate::ready::ACTIVE_QUEUES,
        RUNNING,
        RUNNING_BY_KEY,
        READY_KEYS,
        DUE_IN_KEY.as_str(),
        DUE_UNKEYED.as_str(),
    ]
}
