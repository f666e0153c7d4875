//! Queues: pausing and resuming one, and listing every queue in use.

use rustqueue_core::store::QueueState;
use rustqueue_core::task::Timestamp;

use crate::connection::Db;
use crate::errors::Fault;

/// Queues that have tasks (from the counters) or a record, with their flag.
const QUEUES: &str = "SELECT name, bool_or(paused) FROM (\
     SELECT queue AS name, false AS paused FROM task_counts GROUP BY queue HAVING sum(n) > 0 \
     UNION ALL SELECT name, paused FROM queues) AS q \
     GROUP BY name ORDER BY name";

/// Pauses a queue, creating its record if needed.
const PAUSE: &str = "INSERT INTO queues (name, paused, updated_at) VALUES ($1, true, $2) \
     ON CONFLICT (name) DO UPDATE SET paused = true, updated_at = excluded.updated_at";

/// Resumes a queue by removing its record (not paused is the default), and
/// wakes the other nodes.
const RESUME: &str = "WITH gone AS (DELETE FROM queues WHERE name = $1) SELECT pg_notify($2, '')";

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
        client.query_one(&resume, &[&name, &db.channel]).await?;
    }
    Ok(())
}
/// Every queue with tasks or a record, by name.
pub(crate) async fn list(db: &Db) -> Result<Vec<QueueState>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(QUEUES).await?, &[])
        .await?;
    rows.iter()
        .map(|row| {
            Ok(QueueState {
                name: row.try_get(0)?,
                paused: row.try_get(1)?,
                limits: Default::default(), // PLACEHOLDER(flow)
            })
        })
        .collect()
}
