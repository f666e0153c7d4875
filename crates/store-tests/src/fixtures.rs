//! Helpers the cases share: microsecond-precise times, new tasks, claims and finishes.

use std::sync::Arc;

use chrono::{SubsecRound, TimeDelta, Utc};
use rustqueue_core::store::{
    Finish, Lease, LeaseToken, Outcome, Store, TaskClaimParams, TaskEventsParams,
    TaskFinishManyParams, TaskGetParams, TaskInsertManyParams,
};
use rustqueue_core::task::{EventKind, NewTask, RawJson, Task, Timestamp, new_task_id};
use serde_json::value::RawValue;

/// The store under test, shared with spawned tasks.
pub type SharedStore = Arc<dyn Store>;

/// How long the leases taken by [`claim`] last.
pub const LEASE: TimeDelta = TimeDelta::seconds(30);

/// The current time truncated to microseconds, the precision backends must keep.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// `base` moved by `secs` seconds (negative goes back).
pub fn secs(base: Timestamp, secs: i64) -> Timestamp {
    base + TimeDelta::seconds(secs)
}

/// A raw JSON document; panics if `text` is not JSON.
pub fn json(text: &str) -> RawJson {
    RawValue::from_string(text.to_owned()).expect("test JSON is valid")
}

/// A new task of `task_type` in the default queue, ready at `run_at`.
pub fn task(task_type: &str, run_at: Timestamp) -> NewTask {
    NewTask {
        id: new_task_id(),
        task_type: task_type.to_owned(),
        payload: json(r#""payload""#),
        queue: "default".to_owned(),
        priority: 0,
        max_retries: 3,
        run_at,
        unique_key: None,
        timeout_ms: None,
        concurrency_key: None,
        traceparent: None,
        note: None,
    }
}

/// A new task holding `key`.
pub fn keyed(task_type: &str, run_at: Timestamp, key: &str) -> NewTask {
    NewTask {
        unique_key: Some(key.to_owned()),
        ..task(task_type, run_at)
    }
}

/// Inserts one task that must be created (not a duplicate).
pub async fn insert(store: &dyn Store, new: NewTask, now: Timestamp) -> Task {
    let mut inserted = store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![new],
            now,
        })
        .await
        .expect("insert");
    let one = inserted.pop().expect("one result per task");
    assert!(
        !one.duplicate,
        "task {} was unexpectedly a duplicate",
        one.task.id
    );
    one.task
}

/// Claim parameters for `types` at `now`, with a [`LEASE`]-long lease under `token`.
pub fn claim_params(types: &[&str], limit: usize, now: Timestamp, token: i64) -> TaskClaimParams {
    TaskClaimParams {
        types: types.iter().map(|t| (*t).to_owned()).collect(),
        limit,
        now,
        lease_expires_at: now + LEASE,
        lease_token: LeaseToken(token),
        holder: "test-worker".to_owned(),
    }
}

/// Claims up to `limit` tasks of `types` at `now` under `token`.
pub async fn claim(
    store: &dyn Store,
    types: &[&str],
    limit: usize,
    now: Timestamp,
    token: i64,
) -> Vec<Lease> {
    store
        .task_claim(&claim_params(types, limit, now, token))
        .await
        .expect("claim")
}

/// Claims exactly the one ready task of `task_type`.
pub async fn claim_one(store: &dyn Store, task_type: &str, now: Timestamp, token: i64) -> Lease {
    let mut leases = claim(store, &[task_type], 10, now, token).await;
    assert_eq!(leases.len(), 1, "expected one ready {task_type} task");
    leases.pop().expect("length checked")
}

/// A finish of `lease` with `outcome`, recording `event` with no message.
pub fn finish(lease: &Lease, outcome: Outcome, event: EventKind) -> Finish {
    Finish::new(lease, outcome, event, None)
}

/// A finish that completes `lease` with no result.
pub fn complete(lease: &Lease) -> Finish {
    finish(
        lease,
        Outcome::Completed { result: None },
        EventKind::Completed,
    )
}

/// A finish that fails `lease` for good with `error`.
pub fn fail(lease: &Lease, error: &str) -> Finish {
    Finish {
        message: Some(error.to_owned()),
        ..finish(
            lease,
            Outcome::Failed {
                error: error.to_owned(),
            },
            EventKind::Failed,
        )
    }
}

/// Applies one finish and says whether it was applied.
pub async fn finish_one(store: &dyn Store, finish: Finish, now: Timestamp) -> bool {
    let applied = store
        .task_finish_many(TaskFinishManyParams {
            finishes: vec![finish],
            now,
        })
        .await
        .expect("finish");
    assert_eq!(applied.len(), 1, "one answer per finish");
    applied[0]
}

/// A lease token that no claim in the case used.
pub fn other_token(token: LeaseToken) -> LeaseToken {
    LeaseToken(token.0.wrapping_add(1_000_003))
}

/// The task as stored now; panics if it is missing.
pub async fn get(store: &dyn Store, id: &str) -> Task {
    store
        .task_get(&TaskGetParams::new(id))
        .await
        .expect("get")
        .expect("task exists")
}

/// The kinds and attempt numbers of a task's history, oldest first.
pub async fn history(store: &dyn Store, id: &str) -> Vec<(EventKind, u32)> {
    let events = store
        .task_events(&TaskEventsParams::new(id))
        .await
        .expect("events");
    events.into_iter().map(|e| (e.kind, e.attempt)).collect()
}

/// The ids of some tasks, sorted.
pub fn sorted_ids<'a>(tasks: impl IntoIterator<Item = &'a Task>) -> Vec<String> {
    let mut ids: Vec<String> = tasks.into_iter().map(|t| t.id.clone()).collect();
    ids.sort();
    ids
}

/// Asserts that two tasks agree on every field (compared through their JSON form).
#[track_caller]
pub fn assert_same_task(actual: &Task, expected: &Task) {
    let actual = serde_json::to_string(actual).expect("tasks serialise");
    let expected = serde_json::to_string(expected).expect("tasks serialise");
    assert_eq!(actual, expected);
}

/// Every task in the store, oldest first.
pub async fn all_tasks(store: &dyn Store) -> Vec<Task> {
    store.task_list(&Default::default()).await.expect("list")
}

/// A new task of `task_type` in `queue` carrying `payload`, ready at `run_at`.
pub fn task_in(task_type: &str, queue: &str, payload: &str, run_at: Timestamp) -> NewTask {
    NewTask {
        queue: queue.to_owned(),
        payload: json(payload),
        ..task(task_type, run_at)
    }
}

/// Inserts a mixed set of 24 tasks and returns them as stored, oldest id first.
///
/// Types alternate `EMAIL`, `SMS`; queues go `default`, `default`, `bulk`, `bulk`.
/// Ids are made in order, but the three batches of eight are created at
/// `base + 1h`, `base - 1h` and `base`, so creation time does not follow id order.
/// Then tasks 0, 1, 2 are `COMPLETED`, 3, 4, 6 `FAILED`, 5 and 10 `INPROGRESS`,
/// 8 waits for a retry (`QUEUED` with an error) and the rest are `QUEUED`.
/// Payloads name `user{i}@example.com` and a note; no payload holds a type
/// or queue name, and ids hold only hex digits and dashes.
pub async fn insert_mix(store: &dyn Store, base: Timestamp) -> Vec<Task> {
    let notes = ["Alpha Centauri", "BRAVO two", "charlie"];
    let ready = secs(base, -7200);
    let news: Vec<NewTask> = (0..24)
        .map(|i| {
            let payload = format!(
                r#"{{"n":{i},"to":"user{i}@example.com","note":"{}"}}"#,
                notes[i % 3]
            );
            let task_type = if i % 2 == 0 { "EMAIL" } else { "SMS" };
            let queue = if (i / 2) % 2 == 0 { "default" } else { "bulk" };
            task_in(task_type, queue, &payload, ready)
        })
        .collect();
    for (batch, offset) in news.chunks(8).zip([3600, -3600, 0]) {
        store
            .task_insert_many(TaskInsertManyParams {
                tasks: batch.to_vec(),
                now: secs(base, offset),
            })
            .await
            .expect("insert");
    }
    let at = secs(base, 7200);
    let emails = claim(store, &["EMAIL"], 6, at, 1).await; // tasks 0, 2, 4, 6, 8, 10
    let texts = claim(store, &["SMS"], 3, at, 2).await; // tasks 1, 3, 5
    let retry = finish(
        &emails[4],
        Outcome::Retry {
            run_at: secs(base, 86_400),
            error: "bounced".to_owned(),
        },
        EventKind::RetryScheduled,
    );
    let finishes = vec![
        complete(&emails[0]),
        complete(&emails[1]),
        fail(&emails[2], "bounced"),
        fail(&emails[3], "bounced"),
        retry,
        complete(&texts[0]),
        fail(&texts[1], "bounced"),
    ];
    let applied = store
        .task_finish_many(TaskFinishManyParams {
            finishes,
            now: secs(at, 1),
        })
        .await
        .expect("finish");
    assert!(applied.iter().all(|a| *a), "every finish applies");
    all_tasks(store).await
}
