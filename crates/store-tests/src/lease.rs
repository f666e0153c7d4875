//! Cases for leases over time: `task_heartbeat` and `task_list_expired`.

use rustqueue_core::store::{TaskHeartbeatParams, TaskListExpiredParams};
use rustqueue_core::task::TaskStatus;

use crate::fixtures::{
    LEASE, SharedStore, claim_one, claim_params, complete, finish_one, get, insert, now,
    other_token, secs, task,
};

/// Held leases are renewed; wrong tokens, finished and missing tasks come back as lost.
pub async fn heartbeat_renews_held_leases_and_reports_lost(store: SharedStore) {
    let start = now();
    let held = insert(&*store, task("A", start), start).await;
    let stolen = insert(&*store, task("B", start), start).await;
    let done = insert(&*store, task("C", start), start).await;
    let held_lease = claim_one(&*store, "A", start, 1).await;
    let stolen_lease = claim_one(&*store, "B", start, 2).await;
    let done_lease = claim_one(&*store, "C", start, 3).await;
    assert!(finish_one(&*store, complete(&done_lease), start).await);
    let renewed_to = secs(start, 100);
    let beats = [
        (held.id.clone(), held_lease.token),
        (stolen.id.clone(), other_token(stolen_lease.token)),
        (done.id.clone(), done_lease.token),
        ("no-such-task".to_owned(), held_lease.token),
    ];

    let mut lost = store
        .task_heartbeat(&TaskHeartbeatParams {
            leases: beats.to_vec(),
            expires_at: renewed_to,
        })
        .await
        .expect("heartbeat");

    lost.sort();
    let mut expected = vec![
        stolen.id.clone(),
        done.id.clone(),
        "no-such-task".to_owned(),
    ];
    expected.sort();
    assert_eq!(lost, expected);
    let past_old_expiry = store
        .task_list_expired(&TaskListExpiredParams {
            expired_by: start + LEASE,
            limit: 10,
        })
        .await
        .expect("expired");
    let ids: Vec<&str> = past_old_expiry.iter().map(|l| l.task.id.as_str()).collect();
    assert_eq!(ids, [stolen.id.as_str()], "only the unrenewed lease lapsed");
    let later = store
        .task_list_expired(&TaskListExpiredParams {
            expired_by: renewed_to,
            limit: 10,
        })
        .await
        .expect("expired");
    let renewed = later
        .iter()
        .find(|l| l.task.id == held.id)
        .expect("renewed lease lapses later");
    assert_eq!(
        (renewed.token, renewed.expires_at),
        (held_lease.token, renewed_to)
    );
    assert_eq!(
        get(&*store, &stolen.id).await.status,
        TaskStatus::InProgress,
        "a lost heartbeat changes nothing"
    );
    assert!(
        store
            .task_heartbeat(&TaskHeartbeatParams {
                leases: vec![],
                expires_at: renewed_to
            })
            .await
            .expect("heartbeat")
            .is_empty()
    );
}

/// `INPROGRESS` tasks whose lease ran out at or before the time, up to `limit`, with their lease.
pub async fn list_expired_returns_lapsed_leases(store: SharedStore) {
    let start = now();
    let mut leases = Vec::new();
    for (i, lease_secs) in [10, 20, 30, 40].into_iter().enumerate() {
        let t = insert(&*store, task("EMAIL", start), start).await;
        let mut params = claim_params(&["EMAIL"], 1, start, i as i64 + 1);
        params.lease_expires_at = secs(start, lease_secs);
        let mut claimed = store.task_claim(&params).await.expect("claim");
        let lease = claimed.pop().expect("one ready task");
        assert_eq!(lease.task.id, t.id);
        leases.push(lease);
    }
    insert(&*store, task("EMAIL", start), start).await;

    assert!(
        store
            .task_list_expired(&TaskListExpiredParams {
                expired_by: secs(start, 9),
                limit: 10
            })
            .await
            .expect("expired")
            .is_empty()
    );
    let mut expired = store
        .task_list_expired(&TaskListExpiredParams {
            expired_by: secs(start, 30),
            limit: 10,
        })
        .await
        .expect("expired");
    expired.sort_by_key(|lease| lease.expires_at);
    assert_eq!(expired.len(), 3, "leases ending at or before the time");
    for (got, want) in expired.iter().zip(&leases) {
        assert_eq!(got.task.id, want.task.id);
        assert_eq!((got.token, got.expires_at), (want.token, want.expires_at));
        assert_eq!(
            (got.task.status, got.task.attempts),
            (TaskStatus::InProgress, 1)
        );
    }
    assert_eq!(
        store
            .task_list_expired(&TaskListExpiredParams {
                expired_by: secs(start, 100),
                limit: 2
            })
            .await
            .expect("expired")
            .len(),
        2
    );
    assert_eq!(
        store
            .task_list_expired(&TaskListExpiredParams {
                expired_by: secs(start, 100),
                limit: 10
            })
            .await
            .expect("expired")
            .len(),
        4
    );
}
