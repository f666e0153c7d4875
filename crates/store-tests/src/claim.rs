//! Cases for `task_claim` and `task_next_run_at`: order, readiness, filters, leases, races.

use std::collections::HashSet;

use rustqueue_core::store::{
    LeaseToken, QueueSetPausedParams, TaskEventsParams, TaskInsertManyParams, TaskNextRunAtParams,
};
use rustqueue_core::task::{EventKind, TaskStatus};
use tokio::task::JoinSet;

use crate::fixtures::{
    LEASE, SharedStore, assert_same_task, claim, claim_one, get, history, insert, now, secs, task,
};

/// Higher priority first, then earlier `run_at`, then smaller id; leases come back in that order.
pub async fn claim_orders_by_priority_then_run_at_then_id(store: SharedStore) {
    let now = now();
    // (priority, run_at offset); ids are generated in this order, so they sort this way.
    let shapes = [
        (0, -1),
        (5, -1),
        (0, -3),
        (5, -2),
        (0, -3),
        (-2, -9),
        (5, -2),
    ];
    let mut news = Vec::new();
    for (priority, offset) in shapes {
        news.push(rustqueue_core::task::NewTask {
            priority,
            ..task("EMAIL", secs(now, offset))
        });
    }
    store
        .task_insert_many(TaskInsertManyParams {
            tasks: news.clone(),
            now,
        })
        .await
        .expect("insert");
    let mut expected = news.clone();
    expected.sort_by(|a, b| (-a.priority, a.run_at, &a.id).cmp(&(-b.priority, b.run_at, &b.id)));
    let expected: Vec<String> = expected.into_iter().map(|t| t.id).collect();

    let first = claim(&*store, &["EMAIL"], 3, now, 1).await;
    let rest = claim(&*store, &["EMAIL"], 10, now, 2).await;

    let got: Vec<String> = first
        .iter()
        .chain(&rest)
        .map(|l| l.task.id.clone())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(first.len(), 3);
}

/// Claim order holds across queues and many priority levels, past paused
/// queues, scheduled tasks and other types; the next run time sees the same.
pub async fn claim_orders_across_queues_and_levels(store: SharedStore) {
    let now = now();
    let mut news = Vec::new();
    // (queue, priority, run_at offset, type): 40 priority levels in "a", more
    // than a store might read one by one.
    for n in 0..120_i64 {
        let queue = ["a", "b", "c"][usize::try_from(n % 3).expect("small")];
        let priority = i32::try_from(n % 40 - 20).expect("small");
        let offset = if n % 7 == 0 { 60 + n } else { -(n % 11) };
        let task_type = if n % 13 == 0 { "SMS" } else { "EMAIL" };
        news.push(rustqueue_core::task::NewTask {
            queue: queue.into(),
            priority,
            ..task(task_type, secs(now, offset))
        });
    }
    for n in 0..30 {
        news.push(rustqueue_core::task::NewTask {
            queue: "held".into(),
            priority: 100 - n,
            ..task("EMAIL", secs(now, -100))
        });
    }
    store
        .task_insert_many(TaskInsertManyParams {
            tasks: news.clone(),
            now,
        })
        .await
        .expect("insert");
    store
        .queue_set_paused(&QueueSetPausedParams::new("held", true, now))
        .await
        .expect("pause");
    let mut expected: Vec<_> = news
        .iter()
        .filter(|t| t.queue != "held" && t.task_type == "EMAIL" && t.run_at <= now)
        .collect();
    expected.sort_by(|a, b| (-a.priority, a.run_at, &a.id).cmp(&(-b.priority, b.run_at, &b.id)));
    let expected: Vec<&str> = expected.iter().map(|t| t.id.as_str()).collect();
    let earliest_later = news
        .iter()
        .filter(|t| t.queue != "held" && t.task_type == "EMAIL" && t.run_at > now)
        .map(|t| t.run_at)
        .min();

    let mut got = Vec::new();
    for (limit, token) in [(1, 1), (7, 2), (25, 3), (1000, 4)] {
        got.extend(claim(&*store, &["EMAIL"], limit, now, token).await);
    }
    let got: Vec<&str> = got.iter().map(|l| l.task.id.as_str()).collect();
    assert_eq!(got, expected);
    let next = store
        .task_next_run_at(&TaskNextRunAtParams {
            types: vec!["EMAIL".to_owned()],
        })
        .await
        .expect("next");
    assert_eq!(next, earliest_later);
}

/// A task whose `run_at` is in the future waits until then.
pub async fn claim_skips_future_run_at(store: SharedStore) {
    let now = now();
    let later = insert(&*store, task("EMAIL", secs(now, 10)), now).await;
    assert!(claim(&*store, &["EMAIL"], 10, now, 1).await.is_empty());
    assert!(
        claim(&*store, &["EMAIL"], 10, secs(now, 9), 1)
            .await
            .is_empty()
    );
    let lease = claim_one(&*store, "EMAIL", secs(now, 10), 1).await;
    assert_eq!(lease.task.id, later.id);
}

/// Only tasks of the requested types are claimed.
pub async fn claim_filters_by_type(store: SharedStore) {
    let now = now();
    let email = insert(&*store, task("EMAIL", now), now).await;
    let sms = insert(&*store, task("SMS", now), now).await;
    let report = insert(&*store, task("REPORT", now), now).await;

    assert!(claim(&*store, &["NEWSLETTER"], 10, now, 1).await.is_empty());
    assert!(claim(&*store, &[], 10, now, 1).await.is_empty());
    let leases = claim(&*store, &["SMS", "REPORT"], 10, now, 1).await;

    let mut ids: Vec<&str> = leases.iter().map(|l| l.task.id.as_str()).collect();
    ids.sort();
    let mut expected = [sms.id.as_str(), report.id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(get(&*store, &email.id).await.status, TaskStatus::Queued);
}

/// A paused queue keeps its tasks until it is resumed; other queues run meanwhile.
pub async fn claim_skips_paused_queue_until_resumed(store: SharedStore) {
    let now = now();
    let held = insert(
        &*store,
        rustqueue_core::task::NewTask {
            queue: "bulk".into(),
            ..task("EMAIL", now)
        },
        now,
    )
    .await;
    let free = insert(&*store, task("EMAIL", now), now).await;
    store
        .queue_set_paused(&QueueSetPausedParams::new("bulk", true, now))
        .await
        .expect("pause");

    let leases = claim(&*store, &["EMAIL"], 10, now, 1).await;
    assert_eq!(
        leases
            .iter()
            .map(|l| l.task.id.as_str())
            .collect::<Vec<_>>(),
        [free.id.as_str()]
    );
    assert!(claim(&*store, &["EMAIL"], 10, now, 2).await.is_empty());

    store
        .queue_set_paused(&QueueSetPausedParams::new("bulk", false, now))
        .await
        .expect("resume");
    let lease = claim_one(&*store, "EMAIL", now, 3).await;
    assert_eq!(lease.task.id, held.id);
}

/// A claim never takes more than `limit` tasks, and `limit = 0` takes none.
pub async fn claim_respects_limit(store: SharedStore) {
    let now = now();
    let news: Vec<_> = (0..10).map(|_| task("EMAIL", now)).collect();
    store
        .task_insert_many(TaskInsertManyParams { tasks: news, now })
        .await
        .expect("insert");
    assert!(claim(&*store, &["EMAIL"], 0, now, 1).await.is_empty());
    assert_eq!(claim(&*store, &["EMAIL"], 3, now, 1).await.len(), 3);
    assert_eq!(claim(&*store, &["EMAIL"], 4, now, 2).await.len(), 4);
    assert_eq!(claim(&*store, &["EMAIL"], 100, now, 3).await.len(), 3);
}

/// A claim makes the task `INPROGRESS`, counts the attempt, writes the lease and a `started` event.
pub async fn claim_starts_attempt_and_writes_lease(store: SharedStore) {
    let created = now();
    let t = insert(&*store, task("EMAIL", created), created).await;
    let at = secs(created, 2);

    let lease = claim_one(&*store, "EMAIL", at, 77).await;

    assert_eq!(lease.token, LeaseToken(77));
    assert_eq!(lease.expires_at, at + LEASE);
    let claimed = &lease.task;
    assert_eq!(claimed.id, t.id);
    assert_eq!(claimed.status, TaskStatus::InProgress);
    assert_eq!(claimed.attempts, 1);
    assert_eq!((claimed.started_at, claimed.updated_at), (Some(at), at));
    assert_eq!(
        (claimed.created_at, claimed.run_at, claimed.finished_at),
        (created, created, None)
    );
    assert_same_task(&get(&*store, &t.id).await, claimed);
    let events = store
        .task_events(&TaskEventsParams::new(&t.id))
        .await
        .expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[1].kind, events[1].attempt, events[1].at),
        (EventKind::Started, 1, at)
    );
    assert_eq!(
        history(&*store, &t.id).await,
        [(EventKind::Enqueued, 0), (EventKind::Started, 1)]
    );
}

/// With nothing ready, a claim returns nothing and changes nothing.
pub async fn claim_with_nothing_ready_returns_nothing(store: SharedStore) {
    let now = now();
    assert!(claim(&*store, &["EMAIL"], 10, now, 1).await.is_empty());
    let t = insert(&*store, task("EMAIL", now), now).await;
    claim_one(&*store, "EMAIL", now, 1).await;
    assert!(claim(&*store, &["EMAIL"], 10, now, 2).await.is_empty());
    assert_eq!(get(&*store, &t.id).await.attempts, 1);
}

/// Many concurrent claims never lease one task twice, and together they drain the queue.
pub async fn concurrent_claims_are_disjoint(store: SharedStore) {
    let now = now();
    let news: Vec<_> = (0..300).map(|_| task("EMAIL", now)).collect();
    let all: HashSet<String> = news.iter().map(|t| t.id.clone()).collect();
    store
        .task_insert_many(TaskInsertManyParams { tasks: news, now })
        .await
        .expect("insert");

    let mut claims = JoinSet::new();
    for token in 0..24 {
        let store = store.clone();
        claims.spawn(async move { claim(&*store, &["EMAIL"], 9, now, token).await });
    }
    let mut seen = HashSet::new();
    while let Some(joined) = claims.join_next().await {
        for lease in joined.expect("claim task ran") {
            assert!(
                seen.insert(lease.task.id.clone()),
                "task {} leased twice",
                lease.task.id
            );
        }
    }
    loop {
        let leases = claim(&*store, &["EMAIL"], 50, now, 99).await;
        if leases.is_empty() {
            break;
        }
        for lease in leases {
            assert!(
                seen.insert(lease.task.id.clone()),
                "task {} leased twice",
                lease.task.id
            );
        }
    }
    assert_eq!(seen, all);
}

/// The earliest `run_at` among `QUEUED` tasks of the types, ignoring paused queues.
pub async fn next_run_at_is_earliest_ready_candidate(store: SharedStore) {
    let now = now();
    let types = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        store
            .task_next_run_at(&TaskNextRunAtParams {
                types: types(&["EMAIL"])
            })
            .await
            .expect("next"),
        None
    );

    insert(&*store, task("EMAIL", secs(now, 30)), now).await;
    insert(&*store, task("EMAIL", secs(now, 20)), now).await;
    insert(&*store, task("SMS", secs(now, 5)), now).await;
    let paused = rustqueue_core::task::NewTask {
        queue: "bulk".into(),
        ..task("EMAIL", secs(now, 1))
    };
    insert(&*store, paused, now).await;
    store
        .queue_set_paused(&QueueSetPausedParams::new("bulk", true, now))
        .await
        .expect("pause");
    insert(&*store, task("REPORT", secs(now, -50)), now).await;
    claim_one(&*store, "REPORT", now, 1).await;

    let next = |names: &'static [&'static str]| {
        let store = store.clone();
        async move {
            store
                .task_next_run_at(&TaskNextRunAtParams {
                    types: types(names),
                })
                .await
                .expect("next")
        }
    };
    assert_eq!(next(&["EMAIL"]).await, Some(secs(now, 20)));
    assert_eq!(next(&["EMAIL", "SMS"]).await, Some(secs(now, 5)));
    assert_eq!(
        next(&["REPORT"]).await,
        None,
        "an INPROGRESS task is not waiting"
    );
    assert_eq!(next(&["NEWSLETTER"]).await, None);
    store
        .queue_set_paused(&QueueSetPausedParams::new("bulk", false, now))
        .await
        .expect("resume");
    assert_eq!(next(&["EMAIL"]).await, Some(secs(now, 1)));
}
