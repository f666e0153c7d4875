//! The lease life cycle: claiming ready tasks, renewing leases, and the guarded
//! transitions out of `INPROGRESS`. These are the hot path: each is a handful
//! of cached statements inside the writer's group transaction.

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::store::{Finish, Lease, LeaseToken, Outcome, StoreError, TaskClaimParams};
use rustqueue_core::task::{EventKind, TaskStatus, Timestamp};

use crate::counters::Deltas;
use crate::errors::Fault;
use crate::rows::{self, micros, micros_opt, task_columns};
use crate::{history, ready};

/// Leases the tasks named (by a JSON array of ids) and returns them. The
/// single writer makes find-then-update atomic, so no row can be taken twice.
pub(crate) const CLAIM: &str = concat!(
    "UPDATE tasks SET status = 'INPROGRESS', attempts = attempts + 1, started_at = ?1, updated_at = ?1, ",
    "lease_token = ?2, lease_expires_at = ?3, leased_by = ?5 ",
    "WHERE id IN (SELECT value FROM json_each(?4)) AND status = 'QUEUED' ",
    "RETURNING ",
    task_columns!()
);

/// Leases up to `limit` ready tasks in claim order, each with a `started` event.
pub(crate) fn claim(conn: &Connection, params: &TaskClaimParams) -> Result<Vec<Lease>, Fault> {
    let now = params.now;
    let due = ready::due(conn, &params.types, now, params.limit)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(&due)
        .map_err(|err| StoreError::other(format!("cannot encode task ids: {err}")))?;
    let mut leases = conn
        .prepare_cached(CLAIM)?
        .query_map(
            params![
                micros(now),
                params.lease_token.0,
                micros(params.lease_expires_at),
                ids,
                params.holder
            ],
            rows::lease,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // RETURNING gives rows in no particular order; hand them out in the
    // order `due` chose (claim order, round-robin within a fair queue).
    let place: std::collections::HashMap<&str, usize> = due
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    leases.sort_by_key(|lease| place.get(lease.task.id.as_str()).copied());
    let started = EventKind::Started.as_str();
    let mut deltas = Deltas::default();
    let events: Vec<_> = leases
        .iter()
        .map(|lease| {
            let task = &lease.task;
            deltas.moved(
                &task.queue,
                &task.task_type,
                TaskStatus::Queued,
                TaskStatus::InProgress,
            );
            (task.id.as_str(), started, task.attempts, None)
        })
        .collect();
    history::append_many(conn, now, &events)?;
    deltas.apply(conn)?;
    Ok(leases)
}

/// The task types as a JSON array, for `json_each` (one statement for any number of types).
pub(crate) fn types_json(types: &[String]) -> Result<String, Fault> {
    serde_json::to_string(types)
        .map_err(|err| StoreError::other(format!("cannot encode task types: {err}")).into())
}

/// Applies each finish whose guard holds and says which were applied.
pub(crate) fn finish_many(
    conn: &Connection,
    finishes: Vec<Finish>,
    now: Timestamp,
) -> Result<Vec<bool>, Fault> {
    let mut applied = Vec::with_capacity(finishes.len());
    let mut events = Vec::with_capacity(finishes.len());
    let mut deltas = Deltas::default();
    // Prepared once: the statement cache hashes the whole SQL text on every look-up.
    let mut update = conn.prepare_cached(FINISH)?;
    for finish in &finishes {
        let c = change(&finish.outcome, now);
        let done = finish_one(&mut update, finish, &c, now)?;
        applied.push(done.is_some());
        if let Some((attempts, queue, task_type)) = done {
            deltas.moved(&queue, &task_type, TaskStatus::InProgress, c.status);
            let message = finish.message.as_deref();
            events.push((
                finish.task_id.as_str(),
                finish.event.as_str(),
                attempts,
                message,
            ));
        }
    }
    history::append_many(conn, now, &events)?;
    deltas.apply(conn)?;
    Ok(applied)
}

/// What an outcome writes, as statement parameters.
struct Change<'a> {
    status: TaskStatus,
    /// `Released` gives the attempt back.
    give_back: bool,
    run_at: Option<Timestamp>,
    finished_at: Option<Timestamp>,
    error: Option<&'a str>,
    /// Only `Completed` writes `result` (possibly to NULL).
    set_result: bool,
    result: Option<&'a str>,
}

fn change(outcome: &Outcome, now: Timestamp) -> Change<'_> {
    let base = Change {
        status: TaskStatus::Queued,
        give_back: false,
        run_at: None,
        finished_at: None,
        error: None,
        set_result: false,
        result: None,
    };
    match outcome {
        Outcome::Completed { result } => Change {
            status: TaskStatus::Completed,
            finished_at: Some(now),
            set_result: true,
            result: result.as_deref().map(|r| r.get()),
            ..base
        },
        Outcome::Retry { run_at, error } => Change {
            run_at: Some(*run_at),
            error: Some(error),
            ..base
        },
        Outcome::Failed { error } => Change {
            status: TaskStatus::Failed,
            finished_at: Some(now),
            error: Some(error),
            ..base
        },
        Outcome::Released { run_at } => Change {
            give_back: true,
            run_at: Some(*run_at),
            ..base
        },
    }
}

/// The guarded transition of one task out of `INPROGRESS`, returning its attempts.
///
/// The WHERE is the guard: still running, under this lease, and (for the
/// reaper) not renewed past `expired_by` by a heartbeat since it looked.
pub(crate) const FINISH: &str = "UPDATE tasks SET status = ?3, \
     attempts = CASE WHEN ?4 THEN max(attempts - 1, 0) ELSE attempts END, \
     run_at = coalesce(?5, run_at), finished_at = ?6, last_error = coalesce(?7, last_error), \
     result = CASE WHEN ?8 THEN ?9 ELSE result END, \
     updated_at = ?1, lease_token = NULL, lease_expires_at = NULL, leased_by = NULL \
     WHERE id = ?2 AND status = 'INPROGRESS' AND lease_token = ?10 \
     AND (?11 IS NULL OR lease_expires_at <= ?11) \
     RETURNING attempts, queue, task_type";

/// Applies one finish if its guard holds, returning the task's attempt number
/// then, its queue and its type (for the counters).
fn finish_one(
    update: &mut rusqlite::Statement<'_>,
    finish: &Finish,
    c: &Change<'_>,
    now: Timestamp,
) -> rusqlite::Result<Option<(u32, String, String)>> {
    update
        .query_row(
            params![
                micros(now),
                finish.task_id,
                c.status.as_str(),
                c.give_back,
                micros_opt(c.run_at),
                micros_opt(c.finished_at),
                c.error,
                c.set_result,
                c.result,
                finish.token.0,
                micros_opt(finish.expired_by),
            ],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
}

/// Renews the leases still held until `expires_at`; returns the ids of those lost.
pub(crate) fn heartbeat(
    conn: &Connection,
    leases: &[(String, LeaseToken)],
    expires_at: Timestamp,
) -> Result<Vec<String>, Fault> {
    let mut renew = conn.prepare_cached(
        "UPDATE tasks SET lease_expires_at = ?1 WHERE id = ?2 AND status = 'INPROGRESS' AND lease_token = ?3",
    )?;
    let mut lost = Vec::new();
    for (id, token) in leases {
        if renew.execute(params![micros(expires_at), id, token.0])? == 0 {
            lost.push(id.clone());
        }
    }
    Ok(lost)
}
