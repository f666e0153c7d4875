//! Cron records: registering, listing, enabling, and enqueuing one tick
//! (the record's compare-and-set and the task's insert in one transaction).

use rusqlite::{Connection, OptionalExtension, Row, params};
use rustqueue_core::store::{CronFire, CronRecord};
use rustqueue_core::task::{Task, Timestamp};

use crate::errors::Fault;
use crate::insert;
use crate::rows::{micros, micros_opt, time};

const COLUMNS: &str = "name, enabled, since, last_tick, last_task_id, last_enqueued_at";

/// Creates the records the names lack.
pub(crate) fn register(conn: &Connection, names: &[String], now: Timestamp) -> Result<(), Fault> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO cron_entries (name, enabled, since) VALUES (?1, 1, ?2) \
         ON CONFLICT (name) DO NOTHING",
    )?;
    for name in names {
        insert.execute(params![name, micros(now)])?;
    }
    Ok(())
}

/// Every record, by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<CronRecord>, Fault> {
    let sql = format!("SELECT {COLUMNS} FROM cron_entries ORDER BY name");
    let mut select = conn.prepare_cached(&sql)?;
    let records = select.query_map([], record)?;
    Ok(records.collect::<rusqlite::Result<_>>()?)
}

/// Enables or disables an entry, creating its record if needed.
pub(crate) fn set_enabled(
    conn: &Connection,
    name: &str,
    enabled: bool,
    now: Timestamp,
) -> Result<CronRecord, Fault> {
    register(conn, &[name.to_owned()], now)?;
    // Enabling a disabled entry starts counting its ticks anew.
    conn.prepare_cached(
        "UPDATE cron_entries SET since = CASE WHEN ?2 AND NOT enabled THEN ?3 ELSE since END, \
         enabled = ?2 WHERE name = ?1",
    )?
    .execute(params![name, enabled, micros(now)])?;
    let sql = format!("SELECT {COLUMNS} FROM cron_entries WHERE name = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([name], record)?)
}

/// Records the tick and inserts its task if the record still has `previous`.
pub(crate) fn fire(
    conn: &Connection,
    fire: CronFire,
    now: Timestamp,
) -> Result<Option<Task>, Fault> {
    // `IS` compares NULLs as equal: a record that never ran matches `None`.
    let moved = conn
        .prepare_cached(
            "UPDATE cron_entries SET last_tick = ?3, last_task_id = ?4, last_enqueued_at = ?5 \
             WHERE name = ?1 AND enabled AND last_tick IS ?2 AND since < ?3 RETURNING 1",
        )?
        .query_row(
            params![
                fire.name,
                micros_opt(fire.previous),
                micros(fire.tick),
                fire.task.id,
                micros(now)
            ],
            |_| Ok(()),
        )
        .optional()?;
    if moved.is_none() {
        return Ok(None);
    }
    let mut inserted = insert::insert_many(conn, vec![fire.task], now)?;
    Ok(inserted.pop().map(|i| i.task))
}

fn record(row: &Row<'_>) -> rusqlite::Result<CronRecord> {
    let optional_time = |index| -> rusqlite::Result<Option<Timestamp>> {
        match row.get::<_, Option<i64>>(index)? {
            None => Ok(None),
            Some(_) => time(row, index).map(Some),
        }
    };
    Ok(CronRecord {
        name: row.get(0)?,
        enabled: row.get(1)?,
        since: time(row, 2)?,
        last_tick: optional_time(3)?,
        last_task_id: row.get(4)?,
        last_enqueued_at: optional_time(5)?,
    })
}
