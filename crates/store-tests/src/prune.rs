//! Cases for `task_prune`: retention removes only finished tasks of the
//! status asked for, finished before the time, longest finished first, in
//! bounded batches, with their history and their counts, and never a task
//! that is queued, running, or was retried after it failed.

use rustqueue_core::store::{
    Store, TaskEventsParams, TaskGetParams, TaskPruneParams, TaskRetryParams,
};
use rustqueue_core::task::{Task, TaskStatus, Timestamp};

use crate::counters::assert_counters_match;
use crate::fixtures::{
    SharedStore, all_tasks, claim_one, complete, fail, finish_one, get, insert, now, secs, task,
};

/// Inserts a task of `task_type`, claims it and completes or fails it at `at`.
async fn finished_at(store: &dyn Store, task_type: &str, at: Timestamp, failed: bool) -> Task {
    let new = insert(store, task(task_type, at), at).await;
    let lease = claim_one(store, task_type, at, 7).await;
    assert_eq!(lease.task.id, new.id);
    let ending = if failed {
        fail(&lease, "broken")
    } else {
        complete(&lease)
    };
    assert!(finish_one(store, ending, at).await);
    get(store, &new.id).await
}

async fn prune(store: &dyn Store, status: TaskStatus, before: Timestamp, limit: usize) -> u64 {
    let params = TaskPruneParams {
        status,
        finished_before: before,
        limit,
    };
    store.task_prune(&params).await.expect("prune")
}

async fn ids(store: &dyn Store) -> Vec<String> {
    let mut ids: Vec<String> = all_tasks(store).await.into_iter().map(|t| t.id).collect();
    ids.sort();
    ids
}

/// Old finished tasks go, with their history; everything else stays.
pub async fn prune_removes_only_old_finished_tasks_of_the_status(store: SharedStore) {
    let start = now();
    let old_done = finished_at(&*store, "A", start, false).await;
    let old_failed = finished_at(&*store, "B", start, true).await;
    let new_done = finished_at(&*store, "C", secs(start, 7200), false).await;
    let queued = insert(&*store, task("D", start), start).await;
    let running = insert(&*store, task("E", start), start).await;
    claim_one(&*store, "E", start, 9).await;
    let retried = finished_at(&*store, "F", start, true).await;
    store
        .task_retry(&TaskRetryParams::new(&retried.id, secs(start, 1)))
        .await
        .expect("retry");
    let cutoff = secs(start, 3600);

    assert_eq!(prune(&*store, TaskStatus::Completed, cutoff, 100).await, 1);
    assert!(
        store
            .task_get(&TaskGetParams::new(&old_done.id))
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .task_events(&TaskEventsParams::new(&old_done.id))
            .await
            .is_err(),
        "its history went with it"
    );
    assert_eq!(prune(&*store, TaskStatus::Failed, cutoff, 100).await, 1);
    assert!(
        store
            .task_get(&TaskGetParams::new(&old_failed.id))
            .await
            .expect("get")
            .is_none()
    );
    for status in [TaskStatus::Queued, TaskStatus::InProgress] {
        let far_future = secs(start, 1_000_000);
        assert_eq!(prune(&*store, status, far_future, 100).await, 0);
    }
    let mut left = vec![new_done.id, queued.id, running.id, retried.id];
    left.sort();
    assert_eq!(ids(&*store).await, left, "unfinished and recent tasks stay");
    assert_counters_match(&*store, "pruning").await;
}

/// A batch takes at most `limit` tasks, the longest finished first.
pub async fn prune_takes_bounded_batches_oldest_first(store: SharedStore) {
    let start = now();
    let mut done = Vec::new();
    for minute in [5, 1, 4, 2, 3] {
        done.push(finished_at(&*store, "A", secs(start, minute * 60), false).await);
    }
    let cutoff = secs(start, 3600);
    assert_eq!(prune(&*store, TaskStatus::Completed, cutoff, 2).await, 2);
    let mut left = vec![done[0].id.clone(), done[2].id.clone(), done[4].id.clone()];
    left.sort();
    assert_eq!(ids(&*store).await, left, "minutes 1 and 2 went first");
    assert_eq!(prune(&*store, TaskStatus::Completed, cutoff, 0).await, 0);
    assert_eq!(prune(&*store, TaskStatus::Completed, cutoff, 10).await, 3);
    assert!(ids(&*store).await.is_empty());
    assert_counters_match(&*store, "pruning in batches").await;
}
