//! A limited claim on a queue whose head is one saturated key: the next key
//! starts at once, and no statement of the claim reads `tasks` without an index.

use chrono::{SubsecRound, Utc};
use rustqueue_core::limits::QueueLimits;
use rustqueue_core::store::{
    LeaseToken, QueueSetLimitsParams, Store, TaskClaimParams, TaskInsertManyParams,
};
use rustqueue_core::task::{NewTask, Timestamp, new_task_id};
use rustqueue_store_sqlite::testing::{TestDatabase, limited_claim_statements, query_plan};
use serde_json::value::RawValue;

const SATURATED: usize = 10_000;

fn keyed(key: &str, run_at: Timestamp) -> NewTask {
    NewTask {
        id: new_task_id(),
        task_type: "EMAIL".to_owned(),
        payload: RawValue::from_string("{}".to_owned()).expect("json"),
        queue: "mail".to_owned(),
        priority: 0,
        max_retries: 3,
        run_at,
        unique_key: None,
        timeout_ms: None,
        concurrency_key: Some(key.to_owned()),
        traceparent: None,
        note: None,
    }
}

fn claim_params(now: Timestamp, limit: usize) -> TaskClaimParams {
    TaskClaimParams {
        types: vec!["EMAIL".to_owned()],
        limit,
        now,
        lease_expires_at: now + chrono::Duration::seconds(60),
        lease_token: LeaseToken(1),
        holder: "test-worker".to_owned(),
    }
}

#[tokio::test]
async fn a_saturated_key_at_the_head_costs_the_next_key_nothing() {
    let db = TestDatabase::new();
    let store = db.open();
    let now = Utc::now().trunc_subsecs(6);
    let earlier = now - chrono::Duration::seconds(10);
    // Key A fills the head of the queue in claim order; B comes last.
    let mut tasks: Vec<NewTask> = (0..SATURATED).map(|_| keyed("a", earlier)).collect();
    tasks.push(keyed("b", now));
    store
        .task_insert_many(TaskInsertManyParams { tasks, now })
        .await
        .expect("insert");
    store
        .queue_set_limits(&QueueSetLimitsParams {
            name: "mail".to_owned(),
            limits: QueueLimits {
                per_key_limit: Some(1),
                ..QueueLimits::default()
            },
            now,
        })
        .await
        .expect("limits");
    let first = store
        .task_claim(&claim_params(now, 1))
        .await
        .expect("claim");
    assert_eq!(first[0].task.concurrency_key.as_deref(), Some("a"));
    let next = store
        .task_claim(&claim_params(now, 10))
        .await
        .expect("claim");
    let keys: Vec<_> = next
        .iter()
        .map(|l| l.task.concurrency_key.as_deref())
        .collect();
    assert_eq!(keys, [Some("b")], "A runs its one; B starts at once");
    drop(store);

    let conn = rusqlite::Connection::open(db.path()).expect("inspect");
    conn.execute_batch("ANALYZE").expect("analyze");
    for sql in limited_claim_statements() {
        let plan = query_plan(&conn, sql).expect("query plan");
        assert!(
            !plan
                .lines()
                .any(|line| ["SCAN tasks", "SCAN key_turns"].contains(&line.trim())),
            "{sql}\nscans a table without an index:\n{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{sql}\nsorts:\n{plan}");
    }
}
