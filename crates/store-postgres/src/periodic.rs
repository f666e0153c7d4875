//! Turns of periodic jobs: one row per job with the time of its last run;
//! a node takes a turn only when the last one is a period old, so the job
//! runs once per period cluster-wide.

use chrono::TimeDelta;
use rustqueue_core::task::Timestamp;

use crate::connection::Db;
use crate::errors::Fault;

/// Takes the turn of `job` at `now` if nobody took one within `every`.
pub(crate) async fn take_turn(
    db: &Db,
    job: &str,
    every: TimeDelta,
    now: Timestamp,
) -> Result<bool, Fault> {
    // A tenth of slack: nodes' ticks drift, and a turn missed by a hair
    // would otherwise wait a whole period.
    let due_if_before = now - every + every / 10;
    let client = db.client().await?;
    // Racing nodes queue on the row lock; the later one then sees the new
    // time, fails the WHERE, and returns no row.
    let statement = client
        .prepare_cached(
            "INSERT INTO periodic_turns (job, last_at) VALUES ($1, $2) \
             ON CONFLICT (job) DO UPDATE SET last_at = EXCLUDED.last_at \
             WHERE periodic_turns.last_at <= $3 RETURNING 1",
        )
        .await?;
    let taken = client
        .query_opt(&statement, &[&job, &now, &due_if_before])
        .await?;
    Ok(taken.is_some())
}
