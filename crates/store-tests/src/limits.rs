//! Cases for queue limits: how many of a queue's tasks, and of each
//! concurrency key, a claim lets run at once; their records and usage.

use std::collections::{BTreeMap, HashMap};

use rustqueue_core::limits::QueueLimits;
use rustqueue_core::store::{
    KeyUsage, Lease, QueueKeyUsageParams, QueueSetLimitsParams, QueueSetPausedParams, QueueState,
    Store, TaskFinishManyParams, TaskInsertManyParams, TaskListExpiredParams,
};
use rustqueue_core::task::{NewTask, TaskStatus, Timestamp};
use tokio::task::JoinSet;

use crate::fixtures::{SharedStore, claim, complete, finish_one, get, insert, now, secs, task};

/// A task of type `EMAIL` in `queue` under `key`, ready at `run_at`.
pub fn in_key(queue: &str, key: Option<&str>, run_at: Timestamp) -> NewTask {
    NewTask {
        queue: queue.to_owned(),
        concurrency_key: key.map(str::to_owned),
        ..task("EMAIL", run_at)
    }
}

/// Limits with a queue-wide cap, a per-key cap and named keys' own caps.
pub fn limits(concurrency: Option<u32>, per_key: Option<u32>, keys: &[(&str, u32)]) -> QueueLimits {
    QueueLimits {
        concurrency,
        per_key_limit: per_key,
        key_limits: keys.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect(),
        fairness: None,
    }
}

/// Stores `limits` for `queue`.
pub async fn set_limits(store: &dyn Store, queue: &str, limits: QueueLimits, now: Timestamp) {
    store
        .queue_set_limits(&QueueSetLimitsParams {
            name: queue.to_owned(),
            limits,
            now,
        })
        .await
        .expect("set limits");
}

async fn insert_all(store: &dyn Store, tasks: Vec<NewTask>, now: Timestamp) -> Vec<String> {
    let inserted = store
        .task_insert_many(TaskInsertManyParams { tasks, now })
        .await
        .expect("insert");
    inserted.into_iter().map(|i| i.task.id).collect()
}

fn keys_of(leases: &[Lease]) -> Vec<Option<String>> {
    leases
        .iter()
        .map(|l| l.task.concurrency_key.clone())
        .collect()
}

/// How many of `leases` run per key (`None` for tasks without one).
fn per_key(leases: &[Lease]) -> BTreeMap<Option<String>, usize> {
    let mut counts = BTreeMap::new();
    for key in keys_of(leases) {
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// A task's key is stored and read back; a task without one has none.
pub async fn concurrency_key_round_trips(store: SharedStore) {
    let now = now();
    let keyed = insert(&*store, in_key("mail", Some("tenant-7"), now), now).await;
    let plain = insert(&*store, in_key("mail", None, now), now).await;
    assert_eq!(keyed.concurrency_key.as_deref(), Some("tenant-7"));
    assert_eq!(
        get(&*store, &keyed.id).await.concurrency_key.as_deref(),
        Some("tenant-7")
    );
    assert_eq!(get(&*store, &plain.id).await.concurrency_key, None);
    let leases = claim(&*store, &["EMAIL"], 10, now, 1).await;
    assert_eq!(per_key(&leases).get(&Some("tenant-7".into())), Some(&1));
}

/// Limits are kept on the queue's record and listed; the default removes
/// them, and the record goes when the queue is neither paused nor limited.
pub async fn limits_are_stored_listed_and_removed(store: SharedStore) {
    let now = now();
    let gold = limits(Some(5), Some(2), &[("gold", 10)]);
    set_limits(&*store, "mail", gold.clone(), now).await;
    let listed = store.queue_list().await.expect("queues");
    assert_eq!(
        listed,
        [QueueState {
            name: "mail".into(),
            paused: false,
            limits: gold.clone()
        }]
    );

    store
        .queue_set_paused(&QueueSetPausedParams::new("mail", true, now))
        .await
        .expect("pause");
    store
        .queue_set_paused(&QueueSetPausedParams::new("mail", false, now))
        .await
        .expect("resume");
    let listed = store.queue_list().await.expect("queues");
    assert_eq!(listed.len(), 1, "resuming keeps a record that has limits");
    assert_eq!(listed[0].limits, gold);

    let other = limits(None, Some(1), &[]);
    set_limits(&*store, "mail", other.clone(), secs(now, 1)).await;
    assert_eq!(store.queue_list().await.expect("queues")[0].limits, other);

    set_limits(&*store, "mail", QueueLimits::default(), secs(now, 2)).await;
    assert!(
        store.queue_list().await.expect("queues").is_empty(),
        "an unpaused queue without limits or tasks has no record"
    );

    store
        .queue_set_paused(&QueueSetPausedParams::new("reports", true, now))
        .await
        .expect("pause");
    set_limits(&*store, "reports", other.clone(), now).await;
    set_limits(&*store, "reports", QueueLimits::default(), now).await;
    let listed = store.queue_list().await.expect("queues");
    assert_eq!(
        listed,
        [QueueState::unlimited("reports", true)],
        "removing the limits of a paused queue keeps it paused"
    );
}

/// At most `concurrency` of a queue's tasks run; other queues are not held
/// back, and a finish makes room for the next.
pub async fn queue_concurrency_caps_running_tasks(store: SharedStore) {
    let now = now();
    set_limits(&*store, "mail", limits(Some(2), None, &[]), now).await;
    let mut news: Vec<NewTask> = (0..5).map(|_| in_key("mail", None, now)).collect();
    news.extend((0..3).map(|_| in_key("other", None, now)));
    insert_all(&*store, news, now).await;

    let first = claim(&*store, &["EMAIL"], 10, now, 1).await;
    let queues: Vec<&str> = first.iter().map(|l| l.task.queue.as_str()).collect();
    assert_eq!(
        queues.iter().filter(|q| **q == "mail").count(),
        2,
        "{queues:?}"
    );
    assert_eq!(
        queues.iter().filter(|q| **q == "other").count(),
        3,
        "{queues:?}"
    );
    assert!(claim(&*store, &["EMAIL"], 10, now, 2).await.is_empty());

    let mail = first
        .iter()
        .find(|l| l.task.queue == "mail")
        .expect("a mail task");
    assert!(finish_one(&*store, complete(mail), now).await);
    let next = claim(&*store, &["EMAIL"], 10, now, 3).await;
    assert_eq!(next.len(), 1, "one finish makes room for one");
    assert_eq!(next[0].task.queue, "mail");
}

/// At most `per_key_limit` tasks of each key run; tasks without a key are
/// held only by the queue's limit.
pub async fn per_key_limit_caps_each_key(store: SharedStore) {
    let now = now();
    set_limits(&*store, "mail", limits(None, Some(1), &[]), now).await;
    let shapes = [Some("a"), Some("a"), Some("b"), Some("b"), None, None];
    let news = shapes.iter().map(|key| in_key("mail", *key, now)).collect();
    insert_all(&*store, news, now).await;

    let first = claim(&*store, &["EMAIL"], 10, now, 1).await;
    let expected: BTreeMap<Option<String>, usize> =
        [(None, 2), (Some("a".into()), 1), (Some("b".into()), 1)].into();
    assert_eq!(per_key(&first), expected);
    assert!(claim(&*store, &["EMAIL"], 10, now, 2).await.is_empty());

    let a = first
        .iter()
        .find(|l| l.task.concurrency_key.as_deref() == Some("a"))
        .expect("a runs");
    assert!(finish_one(&*store, complete(a), now).await);
    let next = claim(&*store, &["EMAIL"], 10, now, 3).await;
    assert_eq!(keys_of(&next), [Some("a".to_owned())]);
}

/// A named key's own limit replaces `per_key_limit` for it, and the queue's
/// limit still caps them all.
pub async fn key_limits_override_the_per_key_limit(store: SharedStore) {
    let now = now();
    set_limits(
        &*store,
        "mail",
        limits(Some(4), Some(1), &[("gold", 3)]),
        now,
    )
    .await;
    let mut news: Vec<NewTask> = (0..5).map(|_| in_key("mail", Some("gold"), now)).collect();
    news.extend((0..3).map(|_| in_key("mail", Some("free"), secs(now, -1))));
    insert_all(&*store, news, now).await;

    let leases = claim(&*store, &["EMAIL"], 10, now, 1).await;
    let expected: BTreeMap<Option<String>, usize> =
        [(Some("free".into()), 1), (Some("gold".into()), 3)].into();
    assert_eq!(per_key(&leases), expected);
    assert!(claim(&*store, &["EMAIL"], 10, now, 2).await.is_empty());
}

/// A saturated key is skipped, not waited on: behind ten thousand ready
/// tasks of key A (limit 1), key B's tasks start at once, in claim order.
pub async fn a_saturated_key_never_blocks_another(store: SharedStore) {
    let now = now();
    set_limits(&*store, "mail", limits(None, Some(1), &[]), now).await;
    let older = secs(now, -60);
    let news = (0..10_000)
        .map(|_| in_key("mail", Some("a"), older))
        .collect();
    insert_all(&*store, news, now).await;
    let b = insert_all(
        &*store,
        vec![
            in_key("mail", Some("b"), now),
            in_key("mail", Some("b"), now),
        ],
        now,
    )
    .await;

    let first = claim(&*store, &["EMAIL"], 2, now, 1).await;
    assert_eq!(
        keys_of(&first),
        [Some("a".to_owned()), Some("b".to_owned())]
    );
    assert_eq!(first[1].task.id, b[0], "b's oldest starts first");
    let b_lease = &first[1];
    assert!(claim(&*store, &["EMAIL"], 2, now, 2).await.is_empty());
    assert!(finish_one(&*store, complete(b_lease), now).await);
    let next = claim(&*store, &["EMAIL"], 2, now, 3).await;
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].task.id, b[1],
        "a is still saturated; b's second starts"
    );
}

/// Claims racing from many callers (other connections, other processes)
/// never exceed a limit between them.
pub async fn concurrent_claims_keep_the_limits(store: SharedStore) {
    let now = now();
    set_limits(&*store, "mail", limits(Some(7), Some(2), &[]), now).await;
    let keys = ["a", "b", "c", "d", "e"];
    let news = (0..60)
        .map(|i| in_key("mail", Some(keys[i % keys.len()]), now))
        .collect();
    insert_all(&*store, news, now).await;

    let mut claims = JoinSet::new();
    for token in 0..16 {
        let store = store.clone();
        claims.spawn(async move { claim(&*store, &["EMAIL"], 3, now, token).await });
    }
    let mut leases = Vec::new();
    while let Some(claimed) = claims.join_next().await {
        leases.extend(claimed.expect("claim task"));
    }
    assert_eq!(leases.len(), 7, "the queue's limit is reached, not passed");
    assert!(
        per_key(&leases).values().all(|running| *running <= 2),
        "{:?}",
        per_key(&leases)
    );
}

/// A task whose lease lapsed still counts until it is rescued: a dead
/// node's tasks hold their places until they leave `INPROGRESS`.
pub async fn a_lapsed_lease_counts_until_the_task_leaves_inprogress(store: SharedStore) {
    let now = now();
    set_limits(&*store, "mail", limits(None, Some(1), &[]), now).await;
    let news = (0..3).map(|_| in_key("mail", Some("a"), now)).collect();
    insert_all(&*store, news, now).await;
    let held = claim(&*store, &["EMAIL"], 10, now, 1).await;
    assert_eq!(held.len(), 1);

    let later = secs(now, 3_600);
    let expired = store
        .task_list_expired(&TaskListExpiredParams {
            expired_by: later,
            limit: 10,
        })
        .await
        .expect("expired");
    assert_eq!(expired.len(), 1, "the lease has lapsed");
    assert!(claim(&*store, &["EMAIL"], 10, later, 2).await.is_empty());

    let rescue = rustqueue_core::store::Finish {
        expired_by: Some(later),
        ..crate::fixtures::finish(
            &held[0],
            rustqueue_core::store::Outcome::Retry {
                run_at: later,
                error: "lease expired".into(),
            },
            rustqueue_core::task::EventKind::LeaseExpired,
        )
    };
    let applied = store
        .task_finish_many(TaskFinishManyParams {
            finishes: vec![rescue],
            now: later,
        })
        .await
        .expect("rescue");
    assert_eq!(applied, [true]);
    assert_eq!(claim(&*store, &["EMAIL"], 10, later, 3).await.len(), 1);
}

/// Raising a limit lets more start at the next claim; a paused limited queue starts none.
pub async fn changed_limits_apply_to_the_next_claim(store: SharedStore) {
    let now = now();
    set_limits(&*store, "mail", limits(Some(1), None, &[]), now).await;
    let news = (0..6).map(|_| in_key("mail", None, now)).collect();
    insert_all(&*store, news, now).await;
    assert_eq!(claim(&*store, &["EMAIL"], 10, now, 1).await.len(), 1);
    set_limits(&*store, "mail", limits(Some(3), None, &[]), now).await;
    assert_eq!(claim(&*store, &["EMAIL"], 10, now, 2).await.len(), 2);
    store
        .queue_set_paused(&QueueSetPausedParams::new("mail", true, now))
        .await
        .expect("pause");
    set_limits(&*store, "mail", QueueLimits::default(), now).await;
    assert!(claim(&*store, &["EMAIL"], 10, now, 3).await.is_empty());
    store
        .queue_set_paused(&QueueSetPausedParams::new("mail", false, now))
        .await
        .expect("resume");
    assert_eq!(claim(&*store, &["EMAIL"], 10, now, 4).await.len(), 3);
}

/// Key usage lists the keys of a queue's running tasks, busiest first.
pub async fn key_usage_lists_the_busiest_keys(store: SharedStore) {
    let now = now();
    let shapes = [Some("a"), Some("b"), Some("b"), Some("c"), Some("c"), None];
    let mut news: Vec<NewTask> = shapes.iter().map(|key| in_key("mail", *key, now)).collect();
    news.push(in_key("other", Some("a"), now));
    news.push(in_key("mail", Some("queued-only"), secs(now, 60)));
    insert_all(&*store, news, now).await;
    let leases = claim(&*store, &["EMAIL"], 10, now, 1).await;
    assert_eq!(leases.len(), 7);

    let usage = |limit| QueueKeyUsageParams {
        queue: "mail".into(),
        limit,
    };
    let all = store.queue_key_usage(&usage(10)).await.expect("usage");
    let of = |key: &str, running| KeyUsage {
        key: key.into(),
        running,
    };
    assert_eq!(all, [of("b", 2), of("c", 2), of("a", 1)]);
    let top = store.queue_key_usage(&usage(1)).await.expect("usage");
    assert_eq!(top, [of("b", 2)]);

    let a = leases
        .iter()
        .find(|l| l.task.queue == "mail" && l.task.concurrency_key.as_deref() == Some("a"))
        .expect("a runs in mail");
    assert!(finish_one(&*store, complete(a), now).await);
    let running: HashMap<String, u64> = store
        .queue_key_usage(&usage(10))
        .await
        .expect("usage")
        .into_iter()
        .map(|u| (u.key, u.running))
        .collect();
    assert_eq!(running.get("a"), None, "a finished");
    assert_eq!(get(&*store, &a.task.id).await.status, TaskStatus::Completed);
}
