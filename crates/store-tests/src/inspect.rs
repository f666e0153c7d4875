//! Cases for reads: ping, get, get many, list, history, counts and queues.

use rustqueue_core::store::{
    Finish, Outcome, QueueSetPausedParams, QueueState, StoreError, TaskEventsParams,
    TaskGetManyParams, TaskGetParams, TaskInsertManyParams, TaskListParams,
};
use rustqueue_core::task::{EventKind, NewTask, TaskStatus, Timestamp};

use crate::fixtures::{
    SharedStore, all_tasks, assert_same_task, claim_one, complete, fail, finish, finish_one, get,
    insert, now, secs, sorted_ids, task,
};

/// A fresh store answers a ping.
pub async fn ping_answers(store: SharedStore) {
    store.ping().await.expect("ping");
}

/// Getting an unknown id returns `None`.
pub async fn get_missing_returns_none(store: SharedStore) {
    assert!(
        store
            .task_get(&TaskGetParams::new("no-such-task"))
            .await
            .expect("get")
            .is_none()
    );
}

/// Getting many returns the tasks asked for, as they are, in the order asked:
/// unknown ids are skipped, an id asked twice comes back twice, and asking
/// for nothing returns nothing.
pub async fn get_many_keeps_the_order_asked_and_skips_unknown_ids(store: SharedStore) {
    let now = now();
    let news: Vec<_> = (0..3).map(|_| task("EMAIL", now)).collect();
    insert_all(&*store, news.clone(), now).await;
    let leases = crate::fixtures::claim(&*store, &["EMAIL"], 1, now, 1).await;
    let ids = |picks: &[&str]| picks.iter().map(|id| (*id).to_owned()).collect();
    let get_many = |ids: Vec<String>| {
        let store = store.clone();
        async move {
            let got = store.task_get_many(&TaskGetManyParams { ids }).await;
            got.expect("get many")
        }
    };
    let (a, b, c) = (&news[0].id, &news[1].id, &news[2].id);
    let got = get_many(ids(&[c, "no-such-task", a, b, a])).await;
    let got_ids: Vec<&str> = got.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(got_ids, [c.as_str(), a, b, a]);
    for task in &got {
        assert_same_task(task, &get(&*store, &task.id).await);
    }
    let claimed = got.iter().find(|t| t.id == leases[0].task.id);
    assert_eq!(claimed.expect("claimed").status, TaskStatus::InProgress);
    assert!(get_many(ids(&["no-such-task"])).await.is_empty());
    assert!(get_many(Vec::new()).await.is_empty());
}

async fn insert_all(store: &dyn rustqueue_core::store::Store, tasks: Vec<NewTask>, now: Timestamp) {
    let params = TaskInsertManyParams { tasks, now };
    store.task_insert_many(params).await.expect("insert");
}

/// List is oldest first by id, filters by status, and stops at the limit.
pub async fn list_filters_by_status_and_limit(store: SharedStore) {
    let now = now();
    let news: Vec<_> = (0..6)
        .map(|i| task(if i % 2 == 0 { "A" } else { "B" }, now))
        .collect();
    store
        .task_insert_many(TaskInsertManyParams {
            tasks: news.clone(),
            now,
        })
        .await
        .expect("insert");
    let ids: Vec<String> = news.iter().map(|t| t.id.clone()).collect();
    let leases = crate::fixtures::claim(&*store, &["B"], 10, now, 1).await;
    assert!(finish_one(&*store, complete(&leases[0]), now).await);
    assert!(finish_one(&*store, fail(&leases[1], "x"), now).await);
    let list = |status, limit| {
        let store = store.clone();
        async move {
            let listed = store
                .task_list(&TaskListParams { status, limit })
                .await
                .expect("list");
            listed.into_iter().map(|t| t.id).collect::<Vec<_>>()
        }
    };

    assert_eq!(list(None, None).await, ids);
    assert_eq!(list(None, Some(4)).await, ids[..4]);
    assert_eq!(
        list(Some(TaskStatus::Queued), None).await,
        [ids[0].clone(), ids[2].clone(), ids[4].clone()]
    );
    assert_eq!(
        list(Some(TaskStatus::Queued), Some(2)).await,
        [ids[0].clone(), ids[2].clone()]
    );
    assert_eq!(
        list(Some(TaskStatus::Completed), None).await,
        [ids[1].clone()]
    );
    assert_eq!(list(Some(TaskStatus::Failed), None).await, [ids[3].clone()]);
    assert_eq!(
        list(Some(TaskStatus::InProgress), None).await,
        [ids[5].clone()]
    );
    assert!(list(None, Some(0)).await.is_empty());
}

/// The history of an unknown task is `NotFound`.
pub async fn events_of_missing_task_not_found(store: SharedStore) {
    let result = store
        .task_events(&TaskEventsParams::new("no-such-task"))
        .await;
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "got {result:?}"
    );
}

/// A task's whole life is recorded in order with times, attempts and messages.
pub async fn history_records_whole_life(store: SharedStore) {
    let t0 = now();
    let t = insert(&*store, task("EMAIL", t0), t0).await;
    let first = claim_one(&*store, "EMAIL", secs(t0, 1), 1).await;
    let retry = Finish {
        message: Some("timeout".to_owned()),
        ..finish(
            &first,
            Outcome::Retry {
                run_at: secs(t0, 3),
                error: "timeout".into(),
            },
            EventKind::RetryScheduled,
        )
    };
    assert!(finish_one(&*store, retry, secs(t0, 2)).await);
    let second = claim_one(&*store, "EMAIL", secs(t0, 3), 2).await;
    assert!(finish_one(&*store, fail(&second, "gave up"), secs(t0, 4)).await);

    let events = store
        .task_events(&TaskEventsParams::new(&t.id))
        .await
        .expect("events");

    let got: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.attempt, e.at, e.message.as_deref()))
        .collect();
    let expected = [
        (EventKind::Enqueued, 0, t0, None),
        (EventKind::Started, 1, secs(t0, 1), None),
        (EventKind::RetryScheduled, 1, secs(t0, 2), Some("timeout")),
        (EventKind::Started, 2, secs(t0, 3), None),
        (EventKind::Failed, 2, secs(t0, 4), Some("gave up")),
    ];
    assert_eq!(got, expected);
    assert!(events.iter().all(|e| e.task_id == t.id));
}

/// Counts name all four statuses, zeros included.
pub async fn counts_include_every_status(store: SharedStore) {
    let now = now();
    let counts = store.task_counts().await.expect("counts");
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        TaskStatus::ALL.map(|s| (s, 0))
    );

    let news: Vec<_> = ["A", "A", "A", "B", "C", "C"]
        .iter()
        .map(|t| task(t, now))
        .collect();
    store
        .task_insert_many(TaskInsertManyParams { tasks: news, now })
        .await
        .expect("insert");
    claim_one(&*store, "B", now, 1).await;
    let leases = crate::fixtures::claim(&*store, &["C"], 2, now, 2).await;
    assert!(finish_one(&*store, complete(&leases[0]), now).await);
    assert!(finish_one(&*store, complete(&leases[1]), now).await);

    let counts = store.task_counts().await.expect("counts");
    let expected = [
        (TaskStatus::Queued, 3),
        (TaskStatus::InProgress, 1),
        (TaskStatus::Completed, 2),
        (TaskStatus::Failed, 0),
    ];
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), expected);
}

/// Queues with tasks or a record are listed by name with their paused flag.
pub async fn queues_pause_resume_and_list(store: SharedStore) {
    let now = now();
    assert!(store.queue_list().await.expect("queues").is_empty());
    for queue in ["mail", "default"] {
        insert(
            &*store,
            NewTask {
                queue: queue.to_owned(),
                ..task("EMAIL", now)
            },
            now,
        )
        .await;
    }
    store
        .queue_set_paused(&QueueSetPausedParams::new("reports", true, now))
        .await
        .expect("pause");
    store
        .queue_set_paused(&QueueSetPausedParams::new("mail", true, now))
        .await
        .expect("pause");
    store
        .queue_set_paused(&QueueSetPausedParams::new("mail", true, now))
        .await
        .expect("pausing twice is fine");

    let state = |name: &str, paused| QueueState::unlimited(name, paused);
    let queues = store.queue_list().await.expect("queues");
    assert_eq!(
        queues,
        [
            state("default", false),
            state("mail", true),
            state("reports", true)
        ]
    );

    store
        .queue_set_paused(&QueueSetPausedParams::new("mail", false, secs(now, 1)))
        .await
        .expect("resume");
    store
        .queue_set_paused(&QueueSetPausedParams::new("reports", false, secs(now, 1)))
        .await
        .expect("resume");
    let queues = store.queue_list().await.expect("queues");
    assert_eq!(queues, [state("default", false), state("mail", false),]);
    let all = all_tasks(&*store).await;
    assert_eq!(sorted_ids(&all).len(), 2);
}
