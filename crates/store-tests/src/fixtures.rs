//! Helpers the cases share: microsecond-precise times, new tasks, claims and finishes.

use std::sync::Arc;

use chrono::{SubsecRound, TimeDelta, Utc};
use rustqueue_core::store::{ClaimParams, Finish, Lease, LeaseToken, Outcome, Store};
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
        .task_insert_many(vec![new], now)
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
pub fn claim_params(types: &[&str], limit: usize, now: Timestamp, token: i64) -> ClaimParams {
    ClaimParams {
        types: types.iter().map(|t| (*t).to_owned()).collect(),
        limit,
        now,
        lease_expires_at: now + LEASE,
        lease_token: token,
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
        .task_finish_many(vec![finish], now)
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
    store.task_get(id).await.expect("get").expect("task exists")
}

/// The kinds and attempt numbers of a task's history, oldest first.
pub async fn history(store: &dyn Store, id: &str) -> Vec<(EventKind, u32)> {
    let events = store.task_events(id).await.expect("events");
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
