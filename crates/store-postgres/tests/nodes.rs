//! Several stores ("nodes") on one schema: claims never overlap, writes on
//! one node wake the others, a rescue never races a completion, and periodic
//! jobs take one turn per period.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use common::{SchemaGuard, new_task, now};
use rustqueue_core::store::{
    Cluster, Finish, LeaseToken, Outcome, PeriodicTakeTurnParams, QueueSetPausedParams, Store,
    TaskClaimParams, TaskEventsParams, TaskFinishManyParams, TaskInsertManyParams,
};
use rustqueue_core::task::EventKind;
use rustqueue_store_tests::fixtures::complete;
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// How long a wake-up may take to arrive before the test fails.
const WAKE_DEADLINE: Duration = Duration::from_secs(10);

async fn woken(signal: &Notify, what: &str) {
    tokio::time::timeout(WAKE_DEADLINE, signal.notified())
        .await
        .unwrap_or_else(|_| panic!("no wake-up after {what}"));
}

fn claim_params(limit: usize, token: i64) -> TaskClaimParams {
    let now = now();
    TaskClaimParams {
        types: vec!["EMAIL".to_owned()],
        limit,
        now,
        lease_expires_at: now + TimeDelta::seconds(30),
        lease_token: LeaseToken(token),
        holder: "test-worker".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_claiming_at_once_never_share_a_task() {
    let schema = SchemaGuard::new();
    let nodes = [
        Arc::new(schema.connect().await),
        Arc::new(schema.connect().await),
    ];
    let news: Vec<_> = (0..600).map(|_| new_task("EMAIL")).collect();
    let all: HashSet<String> = news.iter().map(|t| t.id.clone()).collect();
    nodes[0]
        .task_insert_many(TaskInsertManyParams {
            tasks: news,
            now: now(),
        })
        .await
        .expect("insert");

    let mut workers = JoinSet::new();
    for worker in 0..8_i64 {
        let node = Arc::clone(&nodes[worker as usize % 2]);
        workers.spawn(async move {
            let mut claimed = Vec::new();
            loop {
                let leases = node
                    .task_claim(&claim_params(13, worker))
                    .await
                    .expect("claim");
                if leases.is_empty() {
                    return claimed;
                }
                claimed.extend(leases.into_iter().map(|lease| lease.task.id));
            }
        });
    }
    let mut seen = HashSet::new();
    while let Some(claimed) = workers.join_next().await {
        for id in claimed.expect("worker") {
            assert!(seen.insert(id.clone()), "task {id} was claimed twice");
        }
    }
    assert_eq!(seen, all, "together the nodes claimed every task once");
    drop(nodes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_one_node_wake_the_other() {
    let schema = SchemaGuard::new();
    let (idle, busy) = (schema.connect().await, schema.connect().await);
    let signal = idle
        .cluster()
        .expect("a shared store has a work signal")
        .work_signal();

    busy.task_insert_many(TaskInsertManyParams {
        tasks: vec![new_task("EMAIL")],
        now: now(),
    })
    .await
    .expect("insert");
    woken(&signal, "an insert").await;

    busy.queue_set_paused(&QueueSetPausedParams::new("default", true, now()))
        .await
        .expect("pause");
    busy.queue_set_paused(&QueueSetPausedParams::new("default", false, now()))
        .await
        .expect("resume");
    woken(&signal, "a resumed queue").await;

    // Each write above sent one notice and each was awaited, so no wake-up is
    // pending now: the next one comes from the retry.
    let lease = busy
        .task_claim(&claim_params(1, 7))
        .await
        .expect("claim")
        .pop()
        .expect("the inserted task");
    let retry = Outcome::Retry {
        run_at: now(),
        error: "later".to_owned(),
    };
    let finish = Finish::new(&lease, retry, EventKind::RetryScheduled, None);
    busy.task_finish_many(TaskFinishManyParams {
        finishes: vec![finish],
        now: now(),
    })
    .await
    .expect("finish");
    woken(&signal, "a retry").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_in_other_schemas_are_apart() {
    let (first, second) = (SchemaGuard::new(), SchemaGuard::new());
    let (a, b) = (first.connect().await, second.connect().await);
    a.task_insert_many(TaskInsertManyParams {
        tasks: vec![new_task("EMAIL")],
        now: now(),
    })
    .await
    .expect("insert");

    assert!(
        b.task_claim(&claim_params(10, 1))
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(
        a.task_claim(&claim_params(10, 1))
            .await
            .expect("claim")
            .len(),
        1
    );
    assert!(b.queue_list().await.expect("queues").is_empty());
    assert_eq!(
        (a.schema(), b.schema()),
        (first.name.as_str(), second.name.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_periodic_job_gets_one_turn_per_period_across_nodes() {
    let schema = SchemaGuard::new();
    let nodes = [
        schema.connect().await,
        schema.connect().await,
        schema.connect().await,
    ];
    let every = TimeDelta::seconds(5);
    let start = now();
    let mut racing = JoinSet::new();
    for node in nodes {
        racing.spawn(async move {
            let first = node
                .periodic_take_turn(&PeriodicTakeTurnParams::new("reaper", every, start))
                .await
                .expect("turn");
            // The same tick a moment later, and the next tick.
            let late = start + TimeDelta::milliseconds(300);
            let again = node
                .periodic_take_turn(&PeriodicTakeTurnParams::new("reaper", every, late))
                .await
                .expect("turn");
            (first, again, node)
        });
    }
    let mut turns = Vec::new();
    let mut nodes = Vec::new();
    while let Some(joined) = racing.join_next().await {
        let (first, again, node) = joined.expect("node");
        turns.push(first);
        assert!(!again, "no second turn within the period");
        nodes.push(node);
    }
    assert_eq!(
        turns.iter().filter(|t| **t).count(),
        1,
        "one node per tick: {turns:?}"
    );
    let next_tick = start + every;
    let other_job = nodes[0]
        .periodic_take_turn(&PeriodicTakeTurnParams::new("cron", every, start))
        .await
        .expect("turn");
    assert!(other_job, "jobs take turns apart");
    let mut next = Vec::new();
    for node in &nodes {
        next.push(
            node.periodic_take_turn(&PeriodicTakeTurnParams::new("reaper", every, next_tick))
                .await
                .expect("turn"),
        );
    }
    assert_eq!(
        next,
        [true, false, false],
        "the next period has one turn again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rescue_on_one_node_never_races_a_completion_on_another() {
    let schema = SchemaGuard::new();
    let worker_node = Arc::new(schema.connect().await);
    let reaper_node = Arc::new(schema.connect().await);
    let news: Vec<_> = (0..300).map(|_| new_task("EMAIL")).collect();
    worker_node
        .task_insert_many(TaskInsertManyParams {
            tasks: news,
            now: now(),
        })
        .await
        .expect("insert");
    // Leases that have just lapsed: the worker is late, the reaper is due.
    let claimed_at = now();
    let params = TaskClaimParams {
        lease_expires_at: claimed_at,
        ..claim_params(300, 7)
    };
    let leases = worker_node.task_claim(&params).await.expect("claim");
    assert_eq!(leases.len(), 300);

    let completions: Vec<Finish> = leases.iter().map(complete).collect();
    let rescues: Vec<Finish> = leases
        .iter()
        .rev()
        .map(|lease| {
            let retry = Outcome::Retry {
                run_at: claimed_at,
                error: "lease expired".into(),
            };
            Finish {
                expired_by: Some(claimed_at),
                ..Finish::new(lease, retry, EventKind::LeaseExpired, None)
            }
        })
        .collect();
    // Both sides finish in chunks, so their statements interleave.
    let finish_all = |node: Arc<rustqueue_store_postgres::PostgresStore>, finishes: Vec<Finish>| async move {
        let mut applied = Vec::new();
        for chunk in finishes.chunks(20) {
            applied.extend(
                node.task_finish_many(TaskFinishManyParams {
                    finishes: chunk.to_vec(),
                    now: now(),
                })
                .await
                .expect("finish"),
            );
        }
        applied
    };
    let (completed, rescued) = tokio::join!(
        tokio::spawn(finish_all(Arc::clone(&worker_node), completions)),
        tokio::spawn(finish_all(Arc::clone(&reaper_node), rescues)),
    );
    let completed = completed.expect("worker");
    let mut rescued = rescued.expect("reaper");
    rescued.reverse();
    for (index, lease) in leases.iter().enumerate() {
        assert!(
            completed[index] != rescued[index],
            "task {} must be finished by exactly one side",
            lease.task.id
        );
        let events = worker_node
            .task_events(&TaskEventsParams::new(&lease.task.id))
            .await
            .expect("events");
        let endings = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Completed | EventKind::LeaseExpired))
            .count();
        assert_eq!(endings, 1, "one ending in the history of {}", lease.task.id);
    }
}
