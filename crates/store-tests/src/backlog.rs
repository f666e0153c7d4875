//! Cases for `queue_backlog`: which queued tasks are due, scheduled or
//! retrying at a given `now`, and the oldest due one; and queue records
//! that resuming removes.

use rustqueue_core::store::{
    Outcome, QueueBacklog, QueueBacklogParams, QueueSetPausedParams, QueueState, Store,
    TaskInsertManyParams,
};
use rustqueue_core::task::{EventKind, NewTask, TaskStatus, Timestamp};

use crate::fixtures::{
    SharedStore, claim_one, complete, finish, finish_one, insert, now, secs, task_in,
};

/// The backlog at `now`, by queue.
async fn backlog_at(store: &dyn Store, now: Timestamp) -> Vec<QueueBacklog> {
    store
        .queue_backlog(&QueueBacklogParams { now })
        .await
        .expect("backlog")
}

fn entry(
    queue: &str,
    scheduled: u64,
    retrying: u64,
    oldest_ready_at: Option<Timestamp>,
) -> QueueBacklog {
    QueueBacklog {
        queue: queue.to_owned(),
        scheduled,
        retrying,
        oldest_ready_at,
    }
}

/// `QUEUED` tasks of `queue` by the counters.
async fn queued_in(store: &dyn Store, queue: &str) -> u64 {
    let rows = store.task_count_rows().await.expect("count rows");
    rows.iter()
        .filter(|row| row.queue == queue && row.status == TaskStatus::Queued)
        .map(|row| row.count)
        .sum()
}

/// Puts into `mail` a task that failed once and waits for a retry until `run_at`.
async fn retry_later(store: &dyn Store, base: Timestamp, run_at: Timestamp) {
    insert(store, task_in("BOUNCY", "mail", "1", secs(base, -1)), base).await;
    let lease = claim_one(store, "BOUNCY", base, 7).await;
    let retry = Outcome::Retry {
        run_at,
        error: "bounced".to_owned(),
    };
    let applied = finish_one(
        store,
        finish(&lease, retry, EventKind::RetryScheduled),
        base,
    )
    .await;
    assert!(applied, "the retry applies");
}

/// Due, scheduled and retrying tasks are told apart per queue, across
/// priority levels, in paused queues too; as `now` moves, tasks change
/// bucket without any write.
pub async fn backlog_splits_due_scheduled_and_retrying(store: SharedStore) {
    let base = now();
    let s = &*store;
    assert_eq!(backlog_at(s, base).await, []);
    for (queue, priority, run_at) in [
        ("mail", 0, secs(base, -10)),
        ("mail", 0, secs(base, -5)),
        ("mail", 5, secs(base, -1)),
        ("mail", 0, secs(base, 60)),
        ("paused", 0, secs(base, -20)),
        ("paused", 3, secs(base, 600)),
    ] {
        let new = NewTask {
            priority,
            ..task_in("EMAIL", queue, "1", run_at)
        };
        insert(s, new, base).await;
    }
    retry_later(s, base, secs(base, 30)).await;
    insert(s, task_in("DONE", "idle", "1", base), base).await;
    let lease = claim_one(s, "DONE", base, 8).await;
    assert!(finish_one(s, complete(&lease), base).await);
    s.queue_set_paused(&QueueSetPausedParams::new("paused", true, base))
        .await
        .expect("pause");

    let at_base = [
        entry("mail", 1, 1, Some(secs(base, -10))),
        entry("paused", 1, 0, Some(secs(base, -20))),
    ];
    assert_eq!(backlog_at(s, base).await, at_base, "at base");
    assert_eq!(queued_in(s, "mail").await, 5, "three of them due");
    let retried = [
        entry("mail", 1, 0, Some(secs(base, -10))),
        entry("paused", 1, 0, Some(secs(base, -20))),
    ];
    assert_eq!(backlog_at(s, secs(base, 45)).await, retried, "retry due");
    let all_due = [
        entry("mail", 0, 0, Some(secs(base, -10))),
        entry("paused", 0, 0, Some(secs(base, -20))),
    ];
    assert_eq!(backlog_at(s, secs(base, 3600)).await, all_due, "all due");
    let none_due = [entry("mail", 4, 1, None), entry("paused", 2, 0, None)];
    assert_eq!(backlog_at(s, secs(base, -100)).await, none_due, "none due");
    let exactly = backlog_at(s, secs(base, -10)).await;
    assert_eq!(
        exactly[0].oldest_ready_at,
        Some(secs(base, -10)),
        "run_at = now is due"
    );
}

/// Past the levels read one by one, the rest of a queue still counts.
pub async fn backlog_counts_every_priority_level(store: SharedStore) {
    let base = now();
    let s = &*store;
    let news: Vec<NewTask> = (0..40)
        .map(|level| NewTask {
            priority: level,
            ..task_in(
                "EMAIL",
                "wide",
                "1",
                secs(
                    base,
                    if level % 2 == 0 {
                        60
                    } else {
                        -i64::from(level)
                    },
                ),
            )
        })
        .collect();
    s.task_insert_many(TaskInsertManyParams {
        tasks: news,
        now: base,
    })
    .await
    .expect("insert");
    let backlog = backlog_at(s, base).await;
    assert_eq!(backlog, [entry("wide", 20, 0, Some(secs(base, -39)))]);
}

/// Resuming a queue removes its record: one paused by mistake leaves nothing
/// behind, and a resumed queue with tasks is still listed (unpaused).
pub async fn resuming_a_queue_removes_its_record(store: SharedStore) {
    let base = now();
    let s = &*store;
    insert(s, task_in("EMAIL", "mail", "1", base), base).await;
    for queue in ["mial", "mail"] {
        s.queue_set_paused(&QueueSetPausedParams::new(queue, true, base))
            .await
            .expect("pause");
    }
    let state = |name: &str, paused| QueueState::unlimited(name, paused);
    let paused = [state("mail", true), state("mial", true)];
    assert_eq!(s.queue_list().await.expect("queues"), paused);
    for queue in ["mial", "mail", "never-seen"] {
        s.queue_set_paused(&QueueSetPausedParams::new(queue, false, secs(base, 1)))
            .await
            .expect("resume");
    }
    assert_eq!(
        s.queue_list().await.expect("queues"),
        [state("mail", false)]
    );
}
