//! Queues: pausing and resuming one, setting its limits, counting its running
//! tasks per key, and listing every queue in use.

use rustqueue_core::limits::QueueLimits;
use rustqueue_core::store::{KeyUsage, QueueState, StoreError};
use rustqueue_core::task::Timestamp;

use crate::connection::Db;
use crate::errors::Fault;
use crate::rows::limit_column;

/// Queues that have tasks (from the counters) or a record, with their flag
/// and limits (the record's; NULL when unlimited).
const QUEUES: &str = "SELECT name, bool_or(paused), max(limits::text) FROM (\
     SELECT queue AS name, false AS paused, NULL::jsonb AS limits FROM task_counts \
     GROUP BY queue HAVING sum(n) > 0 \
     UNION ALL SELECT name, paused, limits FROM queues) AS q \
     GROUP BY name ORDER BY name";

/// Pauses a queue, creating its record if needed.
const PAUSE: &str = "INSERT INTO queues (name, paused, updated_at) VALUES ($1, true, $2) \
     ON CONFLICT (name) DO UPDATE SET paused = true, updated_at = excluded.updated_at";

/// Resumes a queue: removes its record (not paused is the default) unless it
/// keeps limits, and wakes the other nodes.
const RESUME: &str = "WITH gone AS (DELETE FROM queues WHERE name = $1 AND limits IS NULL), \
     kept AS (UPDATE queues SET paused = false, updated_at = $3 \
     WHERE name = $1 AND limits IS NOT NULL) \
     SELECT pg_notify($2, '')";

/// Sets a queue's limits, creating its record if needed; wakes the other
/// nodes, since raised limits can free work.
const SET_LIMITS: &str = "WITH upserted AS (\
     INSERT INTO queues (name, paused, updated_at, limits) VALUES ($1, false, $3, $2::text::jsonb) \
     ON CONFLICT (name) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at) \
     SELECT pg_notify($4, '')";

/// Removes a queue's limits: its record goes unless paused (one statement's
/// CTEs see the same rows, so the two cases touch disjoint ones); wakes the
/// other nodes, since the queue is now unlimited.
const REMOVE_LIMITS: &str = "WITH gone AS (DELETE FROM queues WHERE name = $1 AND NOT paused), \
     cleared AS (UPDATE queues SET limits = NULL, updated_at = $2 WHERE name = $1 AND paused) \
     SELECT pg_notify($3, '')";

/// A queue's running tasks per key, the busiest first, then by key.
const KEY_USAGE: &str = "SELECT concurrency_key, count(*) FROM tasks \
     WHERE status = 'INPROGRESS' AND queue = $1 AND concurrency_key IS NOT NULL \
     GROUP BY concurrency_key ORDER BY count(*) DESC, concurrency_key LIMIT $2";

/// Pauses a queue, or resumes it by removing its record.
pub(crate) async fn set_paused(
    db: &Db,
    name: &str,
    paused: bool,
    now: Timestamp,
) -> Result<(), Fault> {
    let client = db.client().await?;
    if paused {
        let pause = client.prepare_cached(PAUSE).await?;
        client.execute(&pause, &[&name, &now]).await?;
    } else {
        let resume = client.prepare_cached(RESUME).await?;
        client
            .query_one(&resume, &[&name, &db.channel, &now])
            .await?;
    }
    Ok(())
}

/// Replaces a queue's limits.
pub(crate) async fn set_limits(
    db: &Db,
    name: &str,
    limits: &QueueLimits,
    now: Timestamp,
) -> Result<(), Fault> {
    let client = db.client().await?;
    if limits.is_unlimited() {
        let remove = client.prepare_cached(REMOVE_LIMITS).await?;
        client
            .query_one(&remove, &[&name, &now, &db.channel])
            .await?;
        return Ok(());
    }
    let stored = serde_json::to_string(limits)
        .map_err(|err| Fault::from(StoreError::other(format!("limits: {err}"))))?;
    let set = client.prepare_cached(SET_LIMITS).await?;
    client
        .query_one(&set, &[&name, &stored, &now, &db.channel])
        .await?;
    Ok(())
}

/// How many of a queue's tasks run per key, the busiest first.
pub(crate) async fn key_usage(db: &Db, queue: &str, limit: usize) -> Result<Vec<KeyUsage>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(
            &client.prepare_cached(KEY_USAGE).await?,
            &[&queue, &limit_column(limit)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let running: i64 = row.try_get(1)?;
            Ok(KeyUsage {
                key: row.try_get(0)?,
                running: u64::try_from(running).unwrap_or(0),
            })
        })
        .collect()
}

/// Every queue with tasks or a record, by name.
pub(crate) async fn list(db: &Db) -> Result<Vec<QueueState>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(QUEUES).await?, &[])
        .await?;
    rows.iter()
        .map(|row| {
            let limits = match row.try_get::<_, Option<String>>(2)? {
                Some(text) => serde_json::from_str(&text).map_err(|err| {
                    Fault::from(StoreError::other(format!("stored limits: {err}")))
                })?,
                None => QueueLimits::default(),
            };
            Ok(QueueState {
                name: row.try_get(0)?,
                paused: row.try_get(1)?,
                limits,
            })
        })
        .collect()
}
