//! Cases for bulk operations: `task_retry_many` and `task_delete_many`, by ids and by filter.

use std::collections::HashSet;

use rustqueue_core::store::{
    Selection, Store, StoreError, TaskDeleteManyParams, TaskEventsParams, TaskFilter,
    TaskGetParams, TaskRetryManyParams,
};
use rustqueue_core::task::{EventKind, NewTask, Task, TaskStatus, Timestamp};

use crate::fixtures::{
    SharedStore, all_tasks, assert_same_task, claim_one, fail, finish_one, get, history, insert,
    insert_mix, keyed, now, secs, task,
};

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn ids_of(tasks: &[&Task]) -> Vec<String> {
    sorted(tasks.iter().map(|t| t.id.clone()).collect())
}

/// Asserts that every task of `before` not named in `changed` is exactly as it was.
async fn assert_untouched(store: &dyn Store, before: &[Task], changed: &[String]) {
    let changed: HashSet<&str> = changed.iter().map(String::as_str).collect();
    for t in before.iter().filter(|t| !changed.contains(t.id.as_str())) {
        assert_same_task(&get(store, &t.id).await, t);
    }
}

/// Asserts that `before` was retried at `at` as `task_retry` does it.
async fn assert_retried(store: &dyn Store, before: &Task, at: Timestamp) {
    let after = get(store, &before.id).await;
    assert_eq!(after.status, TaskStatus::Queued);
    assert_eq!(
        (
            after.attempts,
            after.run_at,
            after.updated_at,
            after.started_at,
            after.finished_at
        ),
        (0, at, at, None, None)
    );
    assert_eq!(
        (after.created_at, &after.last_error, after.max_retries),
        (before.created_at, &before.last_error, before.max_retries)
    );
    let events = store
        .task_events(&TaskEventsParams::new(&before.id))
        .await
        .expect("events");
    let last = events.last().expect("history");
    assert_eq!(
        (last.kind, last.attempt, last.at),
        (EventKind::RetriedByUser, 0, at)
    );
    let retries = events.iter().filter(|e| e.kind == EventKind::RetriedByUser);
    assert_eq!(retries.count(), 1, "one event per retried task");
}

/// Asserts that a task and its history are gone.
async fn assert_gone(store: &dyn Store, id: &str) {
    assert!(
        store
            .task_get(&TaskGetParams::new(id))
            .await
            .expect("get")
            .is_none(),
        "{id}"
    );
    let events = store.task_events(&TaskEventsParams::new(id)).await;
    assert!(matches!(events, Err(StoreError::NotFound)), "{events:?}");
}

/// Only the `FAILED` tasks among the ids are retried, each once; unknown ids are ignored.
pub async fn retry_many_by_ids_retries_only_failed_tasks(store: SharedStore) {
    let base = now();
    let all = insert_mix(&*store, base).await;
    let at = secs(base, 9000);
    let ids = [6, 0, 3, 5, 7, 3].map(|i| all[i].id.clone());
    let mut selection = ids.to_vec();
    selection.insert(2, "no-such-task".to_owned());

    let retried = store
        .task_retry_many(&TaskRetryManyParams {
            selection: Selection::Ids(selection),
            now: at,
        })
        .await
        .expect("retry many");

    assert_eq!(sorted(retried.clone()), ids_of(&[&all[3], &all[6]]));
    for i in [3, 6] {
        assert_retried(&*store, &all[i], at).await;
    }
    assert_untouched(&*store, &all, &retried).await;
    let none = store
        .task_retry_many(&TaskRetryManyParams {
            selection: Selection::Ids(Vec::new()),
            now: at,
        })
        .await;
    assert!(none.expect("retry none").is_empty());
}

/// A failed task whose key is held by an unfinished task is skipped, and of
/// two failed tasks sharing a key only one comes back.
pub async fn retry_many_skips_held_unique_keys(store: SharedStore) {
    let t0 = now();
    let mut failed = Vec::new();
    for (task_type, key) in [
        ("OLD", Some("k")),
        ("J", Some("j")),
        ("J", Some("j")),
        ("P", None),
    ] {
        let new = match key {
            Some(key) => keyed(task_type, t0, key),
            None => task(task_type, t0),
        };
        let t = insert(&*store, new, t0).await;
        let lease = claim_one(&*store, task_type, t0, 1).await;
        assert!(finish_one(&*store, fail(&lease, "no"), t0).await);
        failed.push(get(&*store, &t.id).await);
    }
    let holder = insert(&*store, keyed("NEW", t0, "k"), t0).await;
    let at = secs(t0, 10);
    let ids: Vec<String> = failed.iter().map(|t| t.id.clone()).collect();

    let retried = store
        .task_retry_many(&TaskRetryManyParams {
            selection: Selection::Ids(ids),
            now: at,
        })
        .await
        .expect("retry many");

    assert_eq!(retried.len(), 2, "{retried:?}");
    assert!(retried.contains(&failed[3].id));
    let j = if retried.contains(&failed[1].id) {
        1
    } else {
        2
    };
    assert!(retried.contains(&failed[j].id));
    assert_retried(&*store, &failed[3], at).await;
    assert_retried(&*store, &failed[j], at).await;
    let before = vec![failed[0].clone(), failed[3 - j].clone(), holder];
    assert_untouched(&*store, &before, &[]).await;
    assert_eq!(history(&*store, &failed[0].id).await.len(), 3);

    let again = store
        .task_retry_many(&TaskRetryManyParams {
            selection: Selection::All,
            now: at,
        })
        .await
        .expect("retry many");
    assert!(again.is_empty(), "keys are still held: {again:?}");
}

/// A filter selects which failed tasks come back; other statuses never do.
pub async fn retry_many_by_filter_selects_failed_matches(store: SharedStore) {
    let base = now();
    let all = insert_mix(&*store, base).await;
    let at = secs(base, 9000);
    let retry = |filter: TaskFilter| {
        let store = store.clone();
        async move {
            let retried = store
                .task_retry_many(&TaskRetryManyParams {
                    selection: Selection::Filter(filter),
                    now: at,
                })
                .await
                .expect("retry many");
            sorted(retried)
        }
    };

    let completed = TaskFilter {
        status: Some(TaskStatus::Completed),
        ..TaskFilter::default()
    };
    assert!(retry(completed).await.is_empty());
    let emails = TaskFilter {
        task_type: Some("EMAIL".to_owned()),
        ..TaskFilter::default()
    };
    let first = retry(emails).await;
    assert_eq!(first, ids_of(&[&all[4], &all[6]]));
    let searched = TaskFilter {
        search: Some("USER3@".to_owned()),
        ..TaskFilter::default()
    };
    let second = retry(searched).await;
    assert_eq!(second, ids_of(&[&all[3]]));
    assert!(retry(TaskFilter::default()).await.is_empty());

    for i in [3, 4, 6] {
        assert_retried(&*store, &all[i], at).await;
    }
    let changed = [first, second].concat();
    assert_untouched(&*store, &all, &changed).await;
}

/// Deleting by ids removes each named task and its history once, reports the
/// running ones, and ignores unknown ids.
pub async fn delete_many_by_ids_reports_count_and_running(store: SharedStore) {
    let all = insert_mix(&*store, now()).await;
    let mut ids = [5, 0, 10, 3, 5].map(|i| all[i].id.clone()).to_vec();
    ids.insert(3, "no-such-task".to_owned());

    let deleted = store
        .task_delete_many(&TaskDeleteManyParams {
            selection: Selection::Ids(ids.clone()),
        })
        .await
        .expect("delete many");

    assert_eq!(deleted.count, 4);
    assert_eq!(sorted(deleted.running), ids_of(&[&all[5], &all[10]]));
    for id in &ids {
        assert_gone(&*store, id).await;
    }
    assert_untouched(&*store, &all, &ids).await;
    assert_eq!(all_tasks(&*store).await.len(), 20);
    let none = store
        .task_delete_many(&TaskDeleteManyParams {
            selection: Selection::Ids(Vec::new()),
        })
        .await;
    assert_eq!(none.expect("delete none").count, 0);
}

/// Deleting by filter removes every match and its history, and nothing else.
pub async fn delete_many_by_filter_removes_every_match(store: SharedStore) {
    let all = insert_mix(&*store, now()).await;
    let bulk: Vec<&Task> = all.iter().filter(|t| t.queue == "bulk").collect();
    let in_bulk = TaskFilter {
        queue: Some("bulk".to_owned()),
        ..TaskFilter::default()
    };

    let deleted = store
        .task_delete_many(&TaskDeleteManyParams {
            selection: Selection::Filter(in_bulk),
        })
        .await
        .expect("delete many");

    assert_eq!(deleted.count, 12);
    assert_eq!(deleted.running, [all[10].id.clone()]);
    let gone = ids_of(&bulk);
    for id in &gone {
        assert_gone(&*store, id).await;
    }
    assert_untouched(&*store, &all, &gone).await;

    let running = TaskFilter {
        status: Some(TaskStatus::InProgress),
        ..TaskFilter::default()
    };
    let deleted = store
        .task_delete_many(&TaskDeleteManyParams {
            selection: Selection::Filter(running),
        })
        .await
        .expect("delete many");
    assert_eq!(
        (deleted.count, deleted.running),
        (1, vec![all[5].id.clone()])
    );
    let nothing = TaskFilter {
        search: Some("nothing like this".to_owned()),
        ..TaskFilter::default()
    };
    let deleted = store
        .task_delete_many(&TaskDeleteManyParams {
            selection: Selection::Filter(nothing),
        })
        .await;
    assert_eq!(deleted.expect("delete none").count, 0);
    assert_eq!(all_tasks(&*store).await.len(), 11);

    let deleted = store
        .task_delete_many(&TaskDeleteManyParams {
            selection: Selection::All,
        })
        .await
        .expect("delete all");
    assert_eq!(deleted.count, 11, "every task, explicitly");
    assert!(all_tasks(&*store).await.is_empty());

    // A deleted id stored again starts a fresh history.
    let again = NewTask {
        id: all[2].id.clone(),
        ..task("EMAIL", all[2].run_at)
    };
    insert(&*store, again, now()).await;
    assert_eq!(
        history(&*store, &all[2].id).await,
        [(EventKind::Enqueued, 0)]
    );
}
