//! Cases for `task_finish_many`: each outcome's effects, its event, and every guard.

use rustqueue_core::store::{
    Finish, Outcome, TaskDeleteParams, TaskEventsParams, TaskFinishManyParams, TaskGetParams,
    TaskHeartbeatParams, TaskInsertManyParams, TaskListExpiredParams,
};
use rustqueue_core::task::{EventKind, TaskStatus};

use crate::fixtures::{
    LEASE, SharedStore, assert_same_task, claim, claim_one, complete, fail, finish, finish_one,
    get, history, insert, json, now, other_token, secs, task,
};

/// `Completed` sets the result and `finished_at`, clears the lease, records `completed`.
pub async fn finish_completed_sets_result_and_finished_at(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let done = secs(start, 3);
    let outcome = Outcome::Completed {
        result: Some(json(r#"{"sent":true}"#)),
    };

    assert!(finish_one(&*store, finish(&lease, outcome, EventKind::Completed), done).await);

    let after = get(&*store, &t.id).await;
    assert_eq!(after.status, TaskStatus::Completed);
    assert_eq!(
        after.result.as_ref().map(|r| r.get()),
        Some(r#"{"sent":true}"#)
    );
    assert_eq!(
        (after.finished_at, after.updated_at, after.started_at),
        (Some(done), done, Some(start))
    );
    assert_eq!((after.attempts, after.last_error.as_deref()), (1, None));
    let lost = store
        .task_heartbeat(&TaskHeartbeatParams {
            leases: vec![(t.id.clone(), lease.token)],
            expires_at: secs(done, 60),
        })
        .await
        .expect("heartbeat");
    assert_eq!(
        lost,
        std::slice::from_ref(&t.id),
        "a finished task holds no lease"
    );
    let expired = store
        .task_list_expired(&TaskListExpiredParams {
            expired_by: secs(done, 3600),
            limit: 10,
        })
        .await
        .expect("expired");
    assert!(expired.is_empty());
    let events = store
        .task_events(&TaskEventsParams::new(&t.id))
        .await
        .expect("events");
    let last = events.last().expect("has events");
    assert_eq!(
        (last.kind, last.attempt, last.at, last.message.as_deref()),
        (EventKind::Completed, 1, done, None)
    );
}

/// `Retry` puts the task back to `QUEUED` at `run_at` with the error; the attempt counts.
pub async fn finish_retry_requeues_with_run_at_and_error(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let failed_at = secs(start, 1);
    let again = secs(start, 20);
    let retry = Finish {
        message: Some("smtp down".to_owned()),
        ..finish(
            &lease,
            Outcome::Retry {
                run_at: again,
                error: "smtp down".to_owned(),
            },
            EventKind::RetryScheduled,
        )
    };

    assert!(finish_one(&*store, retry, failed_at).await);

    let after = get(&*store, &t.id).await;
    assert_eq!(after.status, TaskStatus::Queued);
    assert_eq!(
        (after.run_at, after.updated_at, after.finished_at),
        (again, failed_at, None)
    );
    assert_eq!(
        (after.attempts, after.last_error.as_deref()),
        (1, Some("smtp down"))
    );
    let events = store
        .task_events(&TaskEventsParams::new(&t.id))
        .await
        .expect("events");
    let last = events.last().expect("has events");
    assert_eq!(
        (last.kind, last.attempt, last.at),
        (EventKind::RetryScheduled, 1, failed_at)
    );
    assert_eq!(last.message.as_deref(), Some("smtp down"));

    assert!(
        claim(&*store, &["EMAIL"], 10, secs(again, -1), 6)
            .await
            .is_empty()
    );
    let second = claim_one(&*store, "EMAIL", again, 6).await;
    assert_eq!(second.task.attempts, 2);
    assert_eq!(
        history(&*store, &t.id).await.last(),
        Some(&(EventKind::Started, 2))
    );
}

/// `Failed` ends the task with the error and `finished_at`.
pub async fn finish_failed_sets_error_and_finished_at(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let at = secs(start, 2);

    assert!(finish_one(&*store, fail(&lease, "bad address"), at).await);

    let after = get(&*store, &t.id).await;
    assert_eq!(after.status, TaskStatus::Failed);
    assert_eq!((after.finished_at, after.updated_at), (Some(at), at));
    assert_eq!(
        (after.attempts, after.last_error.as_deref()),
        (1, Some("bad address"))
    );
    assert!(after.result.is_none());
    assert!(
        claim(&*store, &["EMAIL"], 10, secs(at, 100), 6)
            .await
            .is_empty()
    );
    let events = store
        .task_events(&TaskEventsParams::new(&t.id))
        .await
        .expect("events");
    let last = events.last().expect("has events");
    assert_eq!(
        (last.kind, last.attempt, last.message.as_deref()),
        (EventKind::Failed, 1, Some("bad address"))
    );
}

/// `Released` hands the task back at once without using an attempt.
pub async fn finish_released_gives_the_attempt_back(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", secs(start, -10)), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let at = secs(start, 4);

    assert!(
        finish_one(
            &*store,
            finish(
                &lease,
                Outcome::Released { run_at: at },
                EventKind::Released
            ),
            at
        )
        .await
    );

    let after = get(&*store, &t.id).await;
    assert_eq!(after.status, TaskStatus::Queued);
    assert_eq!(
        (
            after.attempts,
            after.run_at,
            after.updated_at,
            after.finished_at
        ),
        (0, at, at, None)
    );
    // The event carries the attempt number after the change: the hand-back used none.
    assert_eq!(
        history(&*store, &t.id).await.last(),
        Some(&(EventKind::Released, 0))
    );
    let again = claim_one(&*store, "EMAIL", at, 6).await;
    assert_eq!(again.task.attempts, 1);
}

/// `Released` with a later `run_at` (a snooze) gives the attempt back and
/// keeps the task from being claimed until then.
pub async fn finish_released_later_waits_for_its_run_at(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", secs(start, -10)), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let at = secs(start, 1);
    let wake = secs(at, 30);
    let snooze = Outcome::Released { run_at: wake };

    assert!(
        finish_one(
            &*store,
            finish(&lease, snooze, EventKind::RetryScheduled),
            at
        )
        .await
    );

    let after = get(&*store, &t.id).await;
    assert_eq!(
        (after.status, after.attempts, after.run_at, after.last_error),
        (TaskStatus::Queued, 0, wake, None)
    );
    assert!(
        claim(&*store, &["EMAIL"], 1, secs(wake, -1), 6)
            .await
            .is_empty()
    );
    let again = claim_one(&*store, "EMAIL", wake, 7).await;
    assert_eq!(again.task.attempts, 1);
}

/// A finish under a token other than the current lease's changes nothing.
pub async fn finish_with_wrong_token_is_not_applied(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let stale = Finish {
        token: other_token(lease.token),
        ..complete(&lease)
    };

    assert!(!finish_one(&*store, stale, secs(start, 1)).await);

    assert_same_task(&get(&*store, &t.id).await, &lease.task);
    assert_eq!(
        history(&*store, &t.id).await,
        [(EventKind::Enqueued, 0), (EventKind::Started, 1)]
    );
    assert!(
        finish_one(&*store, complete(&lease), secs(start, 2)).await,
        "the real lease still finishes"
    );
}

/// A second finish of the same lease is refused: a task is finished once.
pub async fn finish_twice_is_not_applied(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    assert!(finish_one(&*store, complete(&lease), secs(start, 1)).await);
    let done = get(&*store, &t.id).await;

    assert!(!finish_one(&*store, fail(&lease, "late"), secs(start, 2)).await);
    assert!(!finish_one(&*store, complete(&lease), secs(start, 2)).await);

    assert_same_task(&get(&*store, &t.id).await, &done);
    let kinds = history(&*store, &t.id).await;
    assert_eq!(
        kinds,
        [
            (EventKind::Enqueued, 0),
            (EventKind::Started, 1),
            (EventKind::Completed, 1)
        ]
    );
}

/// With `expired_by`, a finish applies only if the lease ran out at or before it.
pub async fn finish_expired_by_guard(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let reap = |by| Finish {
        expired_by: Some(by),
        message: Some("lease expired".to_owned()),
        ..finish(
            &lease,
            Outcome::Retry {
                run_at: by,
                error: "lease expired".into(),
            },
            EventKind::LeaseExpired,
        )
    };

    assert!(
        !finish_one(&*store, reap(secs(start, 10)), secs(start, 10)).await,
        "lease still live"
    );
    assert_eq!(get(&*store, &t.id).await.status, TaskStatus::InProgress);
    let expiry = start + LEASE;
    assert!(
        finish_one(&*store, reap(expiry), expiry).await,
        "expired exactly at the guard"
    );

    assert_eq!(get(&*store, &t.id).await.status, TaskStatus::Queued);
    assert_eq!(
        history(&*store, &t.id).await.last(),
        Some(&(EventKind::LeaseExpired, 1))
    );
}

/// A reaper's finish loses to a heartbeat that renewed the lease after it looked.
pub async fn finish_expired_by_loses_to_heartbeat(store: SharedStore) {
    let start = now();
    let t = insert(&*store, task("EMAIL", start), start).await;
    let lease = claim_one(&*store, "EMAIL", start, 5).await;
    let reaper_now = secs(start, 40);
    let seen = store
        .task_list_expired(&TaskListExpiredParams {
            expired_by: reaper_now,
            limit: 10,
        })
        .await
        .expect("expired");
    assert_eq!(seen.len(), 1);

    let lost = store
        .task_heartbeat(&TaskHeartbeatParams {
            leases: vec![(t.id.clone(), lease.token)],
            expires_at: secs(start, 90),
        })
        .await
        .expect("heartbeat");
    assert!(lost.is_empty());
    let reap = Finish {
        expired_by: Some(reaper_now),
        ..finish(
            &seen[0],
            Outcome::Failed {
                error: "lease expired".into(),
            },
            EventKind::LeaseExpired,
        )
    };

    assert!(!finish_one(&*store, reap, reaper_now).await);
    assert_eq!(get(&*store, &t.id).await.status, TaskStatus::InProgress);
    assert!(
        finish_one(&*store, complete(&lease), secs(start, 50)).await,
        "the worker still finishes"
    );
}

/// One answer per finish, in input order; applied ones take effect, others do not.
pub async fn finish_many_reports_each_in_input_order(store: SharedStore) {
    let now = now();
    let news: Vec<_> = (0..4).map(|_| task("EMAIL", now)).collect();
    store
        .task_insert_many(TaskInsertManyParams { tasks: news, now })
        .await
        .expect("insert");
    let leases = claim(&*store, &["EMAIL"], 4, now, 5).await;
    assert_eq!(leases.len(), 4);
    let ghost = Finish {
        task_id: "no-such-task".to_owned(),
        ..complete(&leases[0])
    };
    let wrong = Finish {
        token: other_token(leases[2].token),
        ..complete(&leases[2])
    };
    let batch = vec![
        complete(&leases[0]),
        ghost,
        fail(&leases[1], "x"),
        wrong,
        complete(&leases[0]),
        complete(&leases[3]),
    ];

    let applied = store
        .task_finish_many(TaskFinishManyParams {
            finishes: batch,
            now,
        })
        .await
        .expect("finish");

    assert_eq!(applied, [true, false, true, false, false, true]);
    let statuses = [
        TaskStatus::Completed,
        TaskStatus::Failed,
        TaskStatus::InProgress,
        TaskStatus::Completed,
    ];
    for (lease, status) in leases.iter().zip(statuses) {
        assert_eq!(get(&*store, &lease.task.id).await.status, status);
    }
    assert!(
        store
            .task_finish_many(TaskFinishManyParams {
                finishes: Vec::new(),
                now
            })
            .await
            .expect("finish")
            .is_empty()
    );
}

/// Finishing a task deleted while it ran is refused.
pub async fn finish_deleted_task_is_not_applied(store: SharedStore) {
    let now = now();
    let t = insert(&*store, task("EMAIL", now), now).await;
    let lease = claim_one(&*store, "EMAIL", now, 5).await;
    store
        .task_delete(&TaskDeleteParams::new(&t.id))
        .await
        .expect("delete");
    assert!(!finish_one(&*store, complete(&lease), now).await);
    assert!(
        store
            .task_get(&TaskGetParams::new(&t.id))
            .await
            .expect("get")
            .is_none()
    );
}
