//! Cases for `task_count_rows` and `task_counts`: the counters must equal a
//! recount of the tasks after every kind of change, so they can never drift.

use std::collections::BTreeMap;

use rustqueue_core::store::{
    Finish, Outcome, Selection, Store, TaskDeleteManyParams, TaskDeleteParams, TaskFilter,
    TaskFinishManyParams, TaskInsertManyParams, TaskRetryManyParams, TaskRetryParams,
};
use rustqueue_core::task::{EventKind, NewTask, TaskStatus};
use tokio::task::JoinSet;

use crate::fixtures::{
    SharedStore, all_tasks, claim, complete, fail, finish, insert_mix, keyed, now, other_token,
    secs, task, task_in,
};

/// Counts by (queue, type, status).
type Groups = BTreeMap<(String, String, TaskStatus), u64>;

/// Asserts that the counters agree with a recount of every task: per queue,
/// type and status (no group twice, none with 0 that should be absent), and per status.
pub async fn assert_counters_match(store: &dyn Store, step: &str) {
    let mut recount = Groups::new();
    let mut by_status: BTreeMap<TaskStatus, u64> =
        TaskStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for t in all_tasks(store).await {
        *recount
            .entry((t.queue.clone(), t.task_type.clone(), t.status))
            .or_default() += 1;
        *by_status.entry(t.status).or_default() += 1;
    }
    let rows = store.task_count_rows().await.expect("count rows");
    let mut counted = Groups::new();
    for row in rows.into_iter().filter(|row| row.count > 0) {
        let group = (row.queue, row.task_type, row.status);
        assert!(
            counted.insert(group.clone(), row.count).is_none(),
            "{group:?} listed twice after {step}"
        );
    }
    assert_eq!(counted, recount, "count rows after {step}");
    let counts = store.task_counts().await.expect("counts");
    assert_eq!(counts, by_status, "counts after {step}");
}

/// Every kind of change keeps the counters equal to a recount.
pub async fn count_rows_follow_every_change(store: SharedStore) {
    let base = now();
    let s = &*store;
    assert_counters_match(s, "nothing").await;
    let all = insert_mix(s, base).await;
    assert_counters_match(s, "a mixed set").await;
    assert_eq!(all.len(), 24);

    let key = keyed("EMAIL", base, "only-one");
    s.task_insert_many(TaskInsertManyParams {
        tasks: vec![key, keyed("EMAIL", base, "only-one")],
        now: base,
    })
    .await
    .expect("insert");
    assert_counters_match(s, "a duplicate key").await;
    let taken = NewTask {
        id: all[0].id.clone(),
        ..task("SMS", base)
    };
    let clash = vec![task("SMS", base), taken];
    assert!(
        s.task_insert_many(TaskInsertManyParams {
            tasks: clash,
            now: base
        })
        .await
        .is_err()
    );
    assert_counters_match(s, "a refused batch").await;

    let at = secs(base, 7300);
    let leases = claim(s, &["EMAIL", "SMS"], 8, at, 7).await;
    assert_eq!(leases.len(), 8);
    assert_counters_match(s, "claims").await;
    let retry = Outcome::Retry {
        run_at: secs(at, 60),
        error: "later".to_owned(),
    };
    let expired = Finish {
        expired_by: Some(secs(at, 3600)),
        ..finish(&leases[5], retry.clone(), EventKind::LeaseExpired)
    };
    let finishes = vec![
        complete(&leases[0]),
        fail(&leases[1], "no"),
        finish(&leases[2], retry, EventKind::RetryScheduled),
        finish(
            &leases[3],
            Outcome::Released { run_at: at },
            EventKind::Released,
        ),
        Finish {
            token: other_token(leases[4].token),
            ..complete(&leases[4])
        },
        expired,
    ];
    let applied = s
        .task_finish_many(TaskFinishManyParams { finishes, now: at })
        .await
        .expect("finish");
    assert_eq!(applied, [true, true, true, true, false, true]);
    assert_counters_match(s, "finishes of each outcome").await;

    s.task_retry(&TaskRetryParams::new(&leases[1].task.id, at))
        .await
        .expect("retry");
    assert_counters_match(s, "a retry").await;
    for t in [&all[3], &all[5], &all[8], &all[0]] {
        s.task_delete(&TaskDeleteParams::new(&t.id))
            .await
            .expect("delete");
    }
    assert_counters_match(s, "deletes in each status").await;

    let failed = TaskFilter {
        status: Some(TaskStatus::Failed),
        ..TaskFilter::default()
    };
    let retried = s
        .task_retry_many(&TaskRetryManyParams {
            selection: Selection::Filter(failed),
            now: at,
        })
        .await
        .expect("retry many");
    assert!(!retried.is_empty());
    assert_counters_match(s, "retry many").await;
    let ids = vec![all[10].id.clone(), all[11].id.clone(), all[1].id.clone()];
    s.task_delete_many(&TaskDeleteManyParams {
        selection: Selection::Ids(ids),
    })
    .await
    .expect("delete many");
    assert_counters_match(s, "delete many by ids").await;
    let bulk = TaskFilter {
        queue: Some("bulk".to_owned()),
        ..TaskFilter::default()
    };
    s.task_delete_many(&TaskDeleteManyParams {
        selection: Selection::Filter(bulk),
    })
    .await
    .expect("delete many");
    assert_counters_match(s, "delete many by filter").await;

    s.task_clear().await.expect("clear");
    assert_counters_match(s, "clear").await;
    s.task_insert_many(TaskInsertManyParams {
        tasks: vec![task_in("SMS", "after", "{}", base)],
        now: base,
    })
    .await
    .expect("insert");
    assert_counters_match(s, "an insert after clear").await;
}

/// Writes racing each other (inserts, refused batches, claims, finishes and
/// deletes, committed together) leave the counters equal to a recount.
pub async fn count_rows_survive_concurrent_writes(store: SharedStore) {
    let base = now();
    let mut writers = JoinSet::new();
    for worker in 0..6_i64 {
        let store = store.clone();
        writers.spawn(async move {
            let task_type = ["A", "B"][worker as usize % 2];
            for round in 0..5_i64 {
                let news: Vec<NewTask> = (0..4)
                    .map(|i| task_in(task_type, ["x", "y"][i % 2], "{}", base))
                    .collect();
                store
                    .task_insert_many(TaskInsertManyParams {
                        tasks: news,
                        now: base,
                    })
                    .await
                    .expect("insert");
                let twice = task_in(task_type, "x", "{}", base);
                let refused = store.task_insert_many(TaskInsertManyParams {
                    tasks: vec![twice.clone(), twice],
                    now: base,
                });
                assert!(refused.await.is_err(), "a repeated id is refused");
                let leases = claim(&*store, &[task_type], 3, base, worker * 100 + round).await;
                let finishes = leases
                    .iter()
                    .enumerate()
                    .map(|(i, lease)| match i % 3 {
                        0 => complete(lease),
                        1 => fail(lease, "no"),
                        _ => finish(
                            lease,
                            Outcome::Released { run_at: base },
                            EventKind::Released,
                        ),
                    })
                    .collect();
                store
                    .task_finish_many(TaskFinishManyParams {
                        finishes,
                        now: base,
                    })
                    .await
                    .expect("finish");
                if let Some(lease) = leases.first() {
                    store
                        .task_delete(&TaskDeleteParams::new(&lease.task.id))
                        .await
                        .expect("delete");
                }
            }
        });
    }
    while let Some(joined) = writers.join_next().await {
        joined.expect("writer");
    }
    assert_counters_match(&*store, "concurrent writes").await;
}
