//! Inserting tasks: one statement for the whole batch, with `unique_key`
//! deduplication against unfinished tasks, this batch included.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::GenericClient;
use rustqueue_core::store::{Inserted, StoreError};
use rustqueue_core::task::{NewTask, Task, Timestamp};

use crate::connection::Db;
use crate::counters::count_changes;
use crate::errors::Fault;
use crate::rows::{self, task_columns, timeout_column};

/// Inserts a batch with its `enqueued` events and returns the ids of the keyed
/// tasks it created. Unkeyed tasks go in plainly; keyed ones through
/// `ON CONFLICT` on the partial unique index, which skips a task whose key an
/// unfinished task holds, waiting first if that holder is not yet committed,
/// so of concurrent inserts of one key exactly one creates a task. They go in
/// key order, so two batches never wait on each other's keys in a cycle.
/// An id that exists already fails the statement (its index is not the
/// arbiter); a keyed task skipped as a duplicate would escape that, so the
/// statement also returns the first of `$12` (the whole batch's ids, when it
/// has keys) that existed before it.
const INSERT: &str = concat!(
    "WITH input AS (",
    " SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[],",
    " $7::bigint[], $8::timestamptz[], $9::text[], $10::bigint[], $13::text[], $14::text[], $15::text[])",
    " AS n(id, task_type, payload, queue, priority, max_retries, run_at, unique_key, timeout_ms,",
    " traceparent, note, concurrency_key)), ",
    "plain AS (",
    " INSERT INTO tasks (id, task_type, payload, queue, priority, status, attempts, max_retries,",
    " created_at, updated_at, run_at, unique_key, timeout_ms, traceparent, concurrency_key)",
    " SELECT id, task_type, payload, queue, priority, 'QUEUED', 0, max_retries, $1, $1, run_at,",
    " NULL, timeout_ms, traceparent, concurrency_key FROM input WHERE unique_key IS NULL",
    " RETURNING id, queue, task_type), ",
    "keyed AS (",
    " INSERT INTO tasks (id, task_type, payload, queue, priority, status, attempts, max_retries,",
    " created_at, updated_at, run_at, unique_key, timeout_ms, traceparent, concurrency_key)",
    " SELECT id, task_type, payload, queue, priority, 'QUEUED', 0, max_retries, $1, $1, run_at,",
    " unique_key, timeout_ms, traceparent, concurrency_key FROM input WHERE unique_key IS NOT NULL ORDER BY unique_key",
    " ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND status IN ('QUEUED', 'INPROGRESS')",
    " DO NOTHING RETURNING id, queue, task_type), ",
    "created AS (SELECT * FROM plain UNION ALL SELECT * FROM keyed), ",
    "events AS (",
    " INSERT INTO task_events (task_id, at, kind, attempt, message)",
    " SELECT c.id, $1, 'enqueued', 0, i.note FROM created c JOIN input i ON i.id = c.id), ",
    count_changes!("SELECT queue, task_type, 'QUEUED' AS status, 1 AS delta FROM created"),
    ", wake AS (SELECT pg_notify($11, '') FROM (SELECT 1 FROM created LIMIT 1) AS any_created) ",
    "SELECT ARRAY(SELECT id FROM keyed), (SELECT count(*) FROM wake),",
    " (SELECT min(id) FROM tasks WHERE id = ANY($12::text[]))"
);

/// The unfinished holders of some keys. The condition repeats the unique
/// index's WHERE so the planner answers from that index.
const HOLDERS: &str = concat!(
    "SELECT ",
    task_columns!("t"),
    " FROM tasks t WHERE t.unique_key = ANY($1::text[])",
    " AND t.unique_key IS NOT NULL AND t.status IN ('QUEUED', 'INPROGRESS')"
);

/// How often a batch retries keys whose holder finished between the insert
/// that skipped them and the look-up for the holder.
const KEY_ROUNDS: usize = 5;

/// Inserts tasks as `QUEUED`, all or nothing, returning each task (or the
/// holder of its key) in input order.
pub(crate) async fn insert_many(
    db: &Db,
    tasks: Vec<NewTask>,
    now: Timestamp,
) -> Result<Vec<Inserted>, Fault> {
    refuse_repeated_ids(&tasks)?;
    let firsts = first_of_each_key(&tasks);
    let mut client = db.client().await?;
    let holders = if firsts.is_empty() {
        // One statement: atomic without a transaction around it.
        let all: Vec<&NewTask> = tasks.iter().collect();
        insert_rows(&client, db, &all, &[], now).await?;
        HashMap::new()
    } else {
        // Skipped keys need a second look, so the batch needs a transaction.
        let tx = client.transaction().await?;
        let holders = insert_keyed(&tx, db, &tasks, &firsts, now).await?;
        tx.commit().await?;
        holders
    };
    Ok(results(tasks, holders, now))
}

/// The same id twice would fail on the primary key anyway; saying so up front
/// gives a clearer message and spares the round trip.
fn refuse_repeated_ids(tasks: &[NewTask]) -> Result<(), StoreError> {
    let mut ids = HashSet::with_capacity(tasks.len());
    match tasks.iter().find(|t| !ids.insert(t.id.as_str())) {
        Some(twice) => Err(StoreError::conflict(format!(
            "task id {} appears twice in the batch",
            twice.id
        ))),
        None => Ok(()),
    }
}

/// For each key in the batch, the index of its first task: the only one sent,
/// since later ones are duplicates of whatever the first resolves to.
fn first_of_each_key(tasks: &[NewTask]) -> HashMap<&str, usize> {
    let mut firsts = HashMap::new();
    for (index, task) in tasks.iter().enumerate() {
        if let Some(key) = task.unique_key.as_deref() {
            firsts.entry(key).or_insert(index);
        }
    }
    firsts
}

/// Inserts the unkeyed tasks and the first task of each key, then finds the
/// holders of the keys that were skipped. A key whose holder finished in
/// between is free again, so its task is tried anew.
async fn insert_keyed(
    tx: &deadpool_postgres::Transaction<'_>,
    db: &Db,
    tasks: &[NewTask],
    firsts: &HashMap<&str, usize>,
    now: Timestamp,
) -> Result<HashMap<String, Task>, Fault> {
    let firsts: HashSet<usize> = firsts.values().copied().collect();
    let mut pending: Vec<&NewTask> = (tasks.iter().enumerate())
        .filter(|(index, task)| task.unique_key.is_none() || firsts.contains(index))
        .map(|(_, task)| task)
        .collect();
    let mut holders = HashMap::new();
    // The first round checks every id of the batch, sent or not.
    let mut check: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    for _ in 0..KEY_ROUNDS {
        let created = insert_rows(tx, db, &pending, &check, now).await?;
        check.clear();
        let skipped: Vec<&NewTask> = (pending.into_iter())
            .filter(|task| task.unique_key.is_some() && !created.contains(&task.id))
            .collect();
        if skipped.is_empty() {
            return Ok(holders);
        }
        let keys: Vec<&str> = skipped
            .iter()
            .filter_map(|t| t.unique_key.as_deref())
            .collect();
        let found = tx
            .query(&tx.prepare_cached(HOLDERS).await?, &[&keys])
            .await?;
        for row in &found {
            let holder = rows::task(row)?;
            if let Some(key) = holder.unique_key.clone() {
                holders.insert(key, holder);
            }
        }
        pending = (skipped.into_iter())
            .filter(|task| {
                task.unique_key
                    .as_ref()
                    .is_some_and(|k| !holders.contains_key(k))
            })
            .collect();
        if pending.is_empty() {
            return Ok(holders);
        }
    }
    Err(StoreError::unavailable(
        "the holders of these unique keys keep finishing; try again".to_owned(),
    )
    .into())
}

/// Runs [`INSERT`] for `tasks`; returns the ids of the keyed tasks created.
/// Fails with `Conflict` if any id in `check` existed before.
pub(crate) async fn insert_rows(
    client: &impl GenericClient,
    db: &Db,
    tasks: &[&NewTask],
    check: &[&str],
    now: Timestamp,
) -> Result<HashSet<String>, Fault> {
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    let types: Vec<&str> = tasks.iter().map(|t| t.task_type.as_str()).collect();
    let payloads: Vec<&str> = tasks.iter().map(|t| t.payload.get()).collect();
    let queues: Vec<&str> = tasks.iter().map(|t| t.queue.as_str()).collect();
    let priorities: Vec<i32> = tasks.iter().map(|t| t.priority).collect();
    let max_retries: Vec<i64> = tasks.iter().map(|t| i64::from(t.max_retries)).collect();
    let run_at: Vec<Timestamp> = tasks.iter().map(|t| t.run_at).collect();
    let keys: Vec<Option<&str>> = tasks.iter().map(|t| t.unique_key.as_deref()).collect();
    let timeouts: Vec<Option<i64>> = tasks.iter().map(|t| timeout_column(t.timeout_ms)).collect();
    let traceparents: Vec<Option<&str>> = tasks.iter().map(|t| t.traceparent.as_deref()).collect();
    let notes: Vec<Option<&str>> = tasks.iter().map(|t| t.note.as_deref()).collect();
    let concurrency_keys: Vec<Option<&str>> =
        tasks.iter().map(|t| t.concurrency_key.as_deref()).collect();
    let insert = client.prepare_cached(INSERT).await?;
    let row = client
        .query_one(
            &insert,
            &[
                &now,
                &ids,
                &types,
                &payloads,
                &queues,
                &priorities,
                &max_retries,
                &run_at,
                &keys,
                &timeouts,
                &db.channel,
                &check,
                &traceparents,
                &notes,
                &concurrency_keys,
            ],
        )
        .await?;
    if let Some(id) = row.try_get::<_, Option<String>>(2)? {
        // The caller's transaction rolls back whatever this statement wrote.
        return Err(StoreError::conflict(format!("a task with id {id} exists already")).into());
    }
    let created: Vec<String> = row.try_get(0)?;
    Ok(created.into_iter().collect())
}

/// Each task as inserted, or the holder of its key, in input order.
fn results(tasks: Vec<NewTask>, holders: HashMap<String, Task>, now: Timestamp) -> Vec<Inserted> {
    // Keys resolved so far: to a holder, or to the first task of the batch with it.
    let mut resolved = holders;
    let mut inserted = Vec::with_capacity(tasks.len());
    for new in tasks {
        let key = new.unique_key.clone();
        if let Some(holder) = key.as_ref().and_then(|k| resolved.get(k)) {
            inserted.push(Inserted {
                task: holder.clone(),
                duplicate: true,
            });
            continue;
        }
        let task = rows::inserted_task(new, now);
        if let Some(key) = key {
            resolved.insert(key, task.clone());
        }
        inserted.push(Inserted {
            task,
            duplicate: false,
        });
    }
    inserted
}
