//! Cases for who runs what: the lease holder every claim writes and every
//! finish clears, walking the running tasks, and worker records.

use rustqueue_core::store::{
    Outcome, TaskListRunningParams, WorkerKind, WorkerListParams, WorkerPruneParams, WorkerRecord,
};
use rustqueue_core::task::{EventKind, Timestamp};

use crate::fixtures::{
    SharedStore, claim, claim_params, complete, finish, finish_one, get, insert, now, secs, task,
};

async fn claim_for(store: &SharedStore, holder: &str, task_type: &str, at: Timestamp) -> String {
    let params = rustqueue_core::store::TaskClaimParams {
        holder: holder.to_owned(),
        ..claim_params(&[task_type], 1, at, 11)
    };
    let leases = store.task_claim(&params).await.expect("claim");
    let [lease] = leases.as_slice() else {
        panic!("expected one lease, got {}", leases.len());
    };
    assert_eq!(lease.task.worker.as_deref(), Some(holder));
    lease.task.id.clone()
}

/// A claim writes its holder as the task's `worker`; leaving `INPROGRESS` by
/// any transition clears it.
pub async fn claim_records_the_holder_until_the_task_leaves_inprogress(store: SharedStore) {
    let start = now();
    let queued = insert(&*store, task("A", start), start).await;
    assert_eq!(queued.worker, None);
    let id = claim_for(&store, "host-1:77", "A", start).await;
    assert_eq!(get(&*store, &id).await.worker.as_deref(), Some("host-1:77"));

    let lease = claim(&*store, &["A"], 1, start, 1).await;
    assert!(lease.is_empty(), "the task is held");
    let running = store
        .task_list_running(&TaskListRunningParams {
            after: None,
            limit: 10,
        })
        .await
        .expect("running");
    let released = finish(
        &running[0],
        Outcome::Released { run_at: start },
        EventKind::Released,
    );
    assert!(finish_one(&*store, released, start).await);
    assert_eq!(get(&*store, &id).await.worker, None, "released");

    let again = claim_for(&store, "node:h:1:abc", "A", start).await;
    let running = store
        .task_list_running(&TaskListRunningParams {
            after: None,
            limit: 10,
        })
        .await
        .expect("running");
    assert!(finish_one(&*store, complete(&running[0]), start).await);
    assert_eq!(get(&*store, &again).await.worker, None, "completed");
}

/// Running tasks are walked by id, a page at a time, each with its lease
/// and holder; other tasks are not listed.
pub async fn list_running_walks_running_tasks_with_their_holders(store: SharedStore) {
    let start = now();
    for _ in 0..3 {
        insert(&*store, task("A", start), start).await;
    }
    insert(&*store, task("Q", start), start).await;
    let mut held = vec![
        (claim_for(&store, "w-1", "A", start).await, "w-1"),
        (claim_for(&store, "w-2", "A", start).await, "w-2"),
        (claim_for(&store, "w-1", "A", start).await, "w-1"),
    ];
    held.sort();

    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .task_list_running(&TaskListRunningParams {
                after: after.clone(),
                limit: 2,
            })
            .await
            .expect("running");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.task.id.clone());
        for lease in page {
            assert_eq!(lease.token.0, 11);
            walked.push((lease.task.id, lease.task.worker.expect("a holder")));
        }
    }
    let walked: Vec<(String, &str)> = walked
        .iter()
        .map(|(id, holder)| (id.clone(), holder.as_str()))
        .collect();
    assert_eq!(walked, held, "every running task once, by id");
}

fn record(id: &str, types: &[&str], at: Timestamp) -> WorkerRecord {
    WorkerRecord {
        id: id.to_owned(),
        kind: WorkerKind::Remote,
        types: types.iter().map(|t| (*t).to_owned()).collect(),
        hostname: Some("box".to_owned()),
        pid: Some(42),
        concurrency: Some(4),
        last_seen_at: at,
    }
}

/// Worker records are upserted (a heartbeat's empty types and absent
/// details keep the stored ones; last-seen never moves back), listed by
/// last-seen, and pruned.
pub async fn worker_records_upsert_list_and_prune(store: SharedStore) {
    let start = now();
    store
        .worker_record(&record("w-1", &["A", "B"], start))
        .await
        .expect("record");
    let beat = WorkerRecord {
        hostname: None,
        pid: None,
        concurrency: None,
        ..record("w-1", &[], secs(start, 10))
    };
    store.worker_record(&beat).await.expect("heartbeat");
    let late = record("w-1", &["A"], secs(start, 5));
    store.worker_record(&late).await.expect("late record");
    let node = WorkerRecord {
        kind: WorkerKind::Local,
        ..record("node:box:1:x", &["EMAIL"], start)
    };
    store.worker_record(&node).await.expect("node");

    let all = store
        .worker_list(&WorkerListParams { seen_since: start })
        .await
        .expect("list");
    let expected_w1 = WorkerRecord {
        types: vec!["A".to_owned()],
        ..record("w-1", &[], secs(start, 10))
    };
    assert_eq!(all, vec![node.clone(), expected_w1.clone()]);
    let recent = store
        .worker_list(&WorkerListParams {
            seen_since: secs(start, 1),
        })
        .await
        .expect("list");
    assert_eq!(recent, vec![expected_w1]);

    assert_eq!(
        store
            .worker_prune(&WorkerPruneParams {
                seen_before: secs(start, 1)
            })
            .await
            .expect("prune"),
        1
    );
    let left = store
        .worker_list(&WorkerListParams {
            seen_since: secs(start, -100),
        })
        .await
        .expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, "w-1");
}
