//! Cases for what people do to tasks: manual retry, delete and clear.

use rustqueue_core::store::{
    QueueSetPausedParams, StoreError, TaskDeleteParams, TaskEventsParams, TaskGetParams,
    TaskInsertManyParams, TaskRetryParams,
};
use rustqueue_core::task::{EventKind, TaskStatus};

use crate::fixtures::{
    SharedStore, all_tasks, assert_same_task, claim_one, complete, fail, finish_one, get, history,
    insert, keyed, now, secs, task,
};

/// Retrying a task that does not exist is `NotFound`.
pub async fn retry_missing_is_not_found(store: SharedStore) {
    let result = store
        .task_retry(&TaskRetryParams::new("no-such-task", now()))
        .await;
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "got {result:?}"
    );
}

/// Only `FAILED` tasks can be retried; the others are a `Conflict` and stay as they are.
pub async fn retry_unfailed_is_conflict(store: SharedStore) {
    let now = now();
    let queued = insert(&*store, task("A", now), now).await;
    let running = insert(&*store, task("B", now), now).await;
    insert(&*store, task("C", now), now).await;
    let running_lease = claim_one(&*store, "B", now, 1).await;
    let done_lease = claim_one(&*store, "C", now, 2).await;
    assert!(finish_one(&*store, complete(&done_lease), now).await);
    let done = get(&*store, &done_lease.task.id).await;

    for id in [&queued.id, &running.id, &done.id] {
        let result = store
            .task_retry(&TaskRetryParams::new(id, secs(now, 1)))
            .await;
        assert!(
            matches!(result, Err(StoreError::Conflict(_))),
            "retry of {id} gave {result:?}"
        );
    }
    assert_same_task(&get(&*store, &queued.id).await, &queued);
    assert_same_task(&get(&*store, &running.id).await, &running_lease.task);
    assert_same_task(&get(&*store, &done.id).await, &done);
}

/// A retried task is `QUEUED` now with a fresh attempt budget, and keeps its history.
pub async fn retry_requeues_failed_task(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 1).await;
    assert!(finish_one(&*store, fail(&lease, "boom"), secs(start, 1)).await);
    let at = secs(start, 60);

    let retried = store
        .task_retry(&TaskRetryParams::new(&t.id, at))
        .await
        .expect("retry");

    assert_eq!(retried.status, TaskStatus::Queued);
    assert_eq!(
        (
            retried.attempts,
            retried.run_at,
            retried.updated_at,
            retried.started_at,
            retried.finished_at
        ),
        (0, at, at, None, None),
        "a fresh attempt budget, not started since"
    );
    assert_eq!(
        (retried.created_at, retried.max_retries),
        (t.created_at, t.max_retries)
    );
    assert_same_task(&get(&*store, &t.id).await, &retried);
    let events = store
        .task_events(&TaskEventsParams::new(&t.id))
        .await
        .expect("events");
    let kinds: Vec<_> = events.iter().map(|e| (e.kind, e.attempt)).collect();
    let expected = [
        (EventKind::Enqueued, 0),
        (EventKind::Started, 1),
        (EventKind::Failed, 1),
        (EventKind::RetriedByUser, 0),
    ];
    assert_eq!(kinds, expected);
    assert_eq!(events[3].at, at);
    let again = claim_one(&*store, "EMAIL", at, 2).await;
    assert_eq!(again.task.attempts, 1);
}

/// A failed task whose key another unfinished task now holds cannot be retried.
pub async fn retry_conflicts_when_unique_key_is_held(store: SharedStore) {
    let now = now();
    let old = insert(&*store, keyed("EMAIL", now, "k"), now).await;
    let lease = claim_one(&*store, "EMAIL", now, 1).await;
    assert!(finish_one(&*store, fail(&lease, "boom"), now).await);
    let failed = get(&*store, &old.id).await;
    let newer = insert(&*store, keyed("EMAIL", now, "k"), now).await;

    let result = store
        .task_retry(&TaskRetryParams::new(&old.id, secs(now, 1)))
        .await;

    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "got {result:?}"
    );
    assert_same_task(&get(&*store, &old.id).await, &failed);
    assert_eq!(history(&*store, &old.id).await.len(), 3);
    // Once the newer holder finishes, the old one may run again.
    let lease = claim_one(&*store, "EMAIL", now, 2).await;
    assert_eq!(lease.task.id, newer.id);
    assert!(finish_one(&*store, complete(&lease), now).await);
    assert_eq!(
        store
            .task_retry(&TaskRetryParams::new(&old.id, secs(now, 2)))
            .await
            .expect("retry")
            .status,
        TaskStatus::Queued
    );
}

/// Delete returns the task as it was and removes it with its whole history.
pub async fn delete_returns_task_and_removes_history(store: SharedStore) {
    let now = now();
    let new = task("EMAIL", now);
    let t = insert(&*store, new.clone(), now).await;
    let lease = claim_one(&*store, "EMAIL", now, 1).await;

    let deleted = store
        .task_delete(&TaskDeleteParams::new(&t.id))
        .await
        .expect("delete")
        .expect("was there");

    assert_same_task(&deleted, &lease.task);
    assert!(
        store
            .task_get(&TaskGetParams::new(&t.id))
            .await
            .expect("get")
            .is_none()
    );
    assert!(matches!(
        store.task_events(&TaskEventsParams::new(&t.id)).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .task_delete(&TaskDeleteParams::new(&t.id))
            .await
            .expect("delete")
            .is_none()
    );
    assert!(all_tasks(&*store).await.is_empty());
    // The same id stored again starts a fresh history: none of the old events linger.
    insert(&*store, new, secs(now, 1)).await;
    assert_eq!(history(&*store, &t.id).await, [(EventKind::Enqueued, 0)]);
}

/// Deleting a task that does not exist returns `None`.
pub async fn delete_missing_returns_none(store: SharedStore) {
    assert!(
        store
            .task_delete(&TaskDeleteParams::new("no-such-task"))
            .await
            .expect("delete")
            .is_none()
    );
}

/// Clear removes every task and event, returns how many tasks there were, and keeps queue states.
pub async fn clear_removes_every_task_and_event(store: SharedStore) {
    let now = now();
    assert_eq!(store.task_clear().await.expect("clear"), 0);
    let news: Vec<_> = (0..5).map(|_| task("EMAIL", now)).collect();
    let ids: Vec<String> = news.iter().map(|t| t.id.clone()).collect();
    store
        .task_insert_many(TaskInsertManyParams {
            tasks: news.clone(),
            now,
        })
        .await
        .expect("insert");
    let lease = crate::fixtures::claim(&*store, &["EMAIL"], 1, now, 1)
        .await
        .remove(0);
    store
        .queue_set_paused(&QueueSetPausedParams::new("bulk", true, now))
        .await
        .expect("pause");

    assert_eq!(store.task_clear().await.expect("clear"), 5);

    assert!(all_tasks(&*store).await.is_empty());
    let counts = store.task_counts().await.expect("counts");
    assert!(
        counts.values().all(|n| *n == 0),
        "counts after clear: {counts:?}"
    );
    for id in &ids {
        assert!(matches!(
            store.task_events(&TaskEventsParams::new(id)).await,
            Err(StoreError::NotFound)
        ));
    }
    assert!(!finish_one(&*store, complete(&lease), now).await);
    let queues = store.queue_list().await.expect("queues");
    assert!(
        queues.iter().any(|q| q.name == "bulk" && q.paused),
        "queue states survive clear: {queues:?}"
    );
    // Old ids are free again, with no old history.
    store
        .task_insert_many(TaskInsertManyParams { tasks: news, now })
        .await
        .expect("insert");
    assert_eq!(history(&*store, &ids[0]).await, [(EventKind::Enqueued, 0)]);
}
