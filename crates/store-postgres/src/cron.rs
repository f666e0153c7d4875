//! Cron records: registering, listing, enabling, and enqueuing one tick
//! (the record's compare-and-set and the task's insert in one transaction).

use rustqueue_core::store::{CronFire, CronRecord};
use rustqueue_core::task::{Task, Timestamp};
use tokio_postgres::Row;

use crate::connection::Db;
use crate::errors::Fault;
use crate::insert::insert_rows;
use crate::rows::inserted_task;

const REGISTER: &str = "INSERT INTO cron_entries (name, since) SELECT unnest($1::text[]), $2 \
     ON CONFLICT (name) DO NOTHING";

const LIST: &str = "SELECT name, enabled, since, last_tick, last_task_id, last_enqueued_at \
     FROM cron_entries ORDER BY name";

/// Upserts the record; enabling a disabled entry starts counting its ticks anew.
const SET_ENABLED: &str = "INSERT INTO cron_entries AS c (name, enabled, since) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, \
     since = CASE WHEN EXCLUDED.enabled AND NOT c.enabled THEN EXCLUDED.since ELSE c.since END \
     RETURNING name, enabled, since, last_tick, last_task_id, last_enqueued_at";

/// The compare-and-set. A racing node blocks on the row lock, then
/// re-checks the WHERE against the committed row (READ COMMITTED), finds
/// `last_tick` moved, and updates nothing.
const MOVE: &str = "UPDATE cron_entries SET last_tick = $3, last_task_id = $4, last_enqueued_at = $5 \
     WHERE name = $1 AND enabled AND last_tick IS NOT DISTINCT FROM $2 AND since < $3 RETURNING 1";

/// Creates the records the names lack.
pub(crate) async fn register(db: &Db, names: &[String], now: Timestamp) -> Result<(), Fault> {
    let client = db.client().await?;
    client
        .execute(&client.prepare_cached(REGISTER).await?, &[&names, &now])
        .await?;
    Ok(())
}

/// Every record, by name.
pub(crate) async fn list(db: &Db) -> Result<Vec<CronRecord>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(LIST).await?, &[])
        .await?;
    rows.iter().map(record).collect()
}

/// Enables or disables an entry, creating its record if needed.
pub(crate) async fn set_enabled(
    db: &Db,
    name: &str,
    enabled: bool,
    now: Timestamp,
) -> Result<CronRecord, Fault> {
    let client = db.client().await?;
    let statement = client.prepare_cached(SET_ENABLED).await?;
    let row = client
        .query_one(&statement, &[&name, &enabled, &now])
        .await?;
    record(&row)
}

/// Records the tick and inserts its task if the record still has `previous`.
pub(crate) async fn fire(db: &Db, fire: CronFire, now: Timestamp) -> Result<Option<Task>, Fault> {
    let mut client = db.client().await?;
    let tx = client.transaction().await?;
    let moved = tx
        .query_opt(
            &tx.prepare_cached(MOVE).await?,
            &[&fire.name, &fire.previous, &fire.tick, &fire.task.id, &now],
        )
        .await?;
    if moved.is_none() {
        tx.rollback().await?;
        return Ok(None);
    }
    let id = fire.task.id.as_str();
    insert_rows(&tx, db, &[&fire.task], &[id], now).await?;
    tx.commit().await?;
    Ok(Some(inserted_task(fire.task, now)))
}

fn record(row: &Row) -> Result<CronRecord, Fault> {
    Ok(CronRecord {
        name: row.try_get(0)?,
        enabled: row.try_get(1)?,
        since: row.try_get(2)?,
        last_tick: row.try_get(3)?,
        last_task_id: row.try_get(4)?,
        last_enqueued_at: row.try_get(5)?,
    })
}
