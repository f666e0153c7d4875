//! Connecting: migrations applied once however many nodes start, errors that
//! say what is wrong, text PostgreSQL cannot hold, and recovery after the
//! server drops every connection.

mod common;

use std::time::Duration;

use common::{SchemaGuard, inspect, new_task, now, url, url_named};
use rustqueue_core::store::{
    Finish, LeaseToken, Outcome, Store, StoreError, TaskClaimParams, TaskEventsParams,
    TaskFinishManyParams, TaskGetParams, TaskInsertManyParams,
};
use rustqueue_core::task::EventKind;
use rustqueue_store_postgres::{ConnectError, PostgresOptions, PostgresStore};
use rustqueue_store_tests::eventually;
use tokio::task::JoinSet;

/// The versions recorded in a schema's `schema_migrations`.
async fn versions(schema: &str) -> Vec<i64> {
    let sql = format!("SELECT version FROM \"{schema}\".schema_migrations ORDER BY version");
    let rows = inspect().await.query(&sql, &[]).await.expect("versions");
    rows.iter().map(|row| row.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_across_reconnects_and_racing_nodes() {
    let schema = SchemaGuard::new();
    let mut nodes = JoinSet::new();
    for _ in 0..4 {
        let options = schema.options();
        nodes.spawn(async move { PostgresStore::connect(&url(), options).await });
    }
    let mut stores = Vec::new();
    while let Some(connected) = nodes.join_next().await {
        stores.push(
            connected
                .expect("node task")
                .expect("every racing node connects"),
        );
    }
    stores[0]
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![new_task("EMAIL")],
            now: now(),
        })
        .await
        .expect("insert");
    // Every migration file, each applied once: 0001_init, 0002_retention, 0003_cron,
    // 0004_traceparent, 0005_ready_by_queue, 0006_workers, 0007_queue_limits,
    // 0008_key_turns.
    assert_eq!(versions(&schema.name).await, [1, 2, 3, 4, 5, 6, 7, 8]);

    let again = schema.connect().await;
    assert_eq!(
        versions(&schema.name).await,
        [1, 2, 3, 4, 5, 6, 7, 8],
        "reconnecting applies nothing"
    );
    let counts = again.task_counts().await.expect("counts");
    assert_eq!(
        counts.values().sum::<u64>(),
        1,
        "data survives reconnecting"
    );
    drop(stores);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let schema = SchemaGuard::new();
    drop(schema.connect().await);
    let bump = format!(
        "INSERT INTO \"{}\".schema_migrations (version) VALUES (999)",
        schema.name
    );
    inspect()
        .await
        .batch_execute(&bump)
        .await
        .expect("bump version");

    let err = PostgresStore::connect(&url(), schema.options())
        .await
        .expect_err("too new");
    assert!(
        matches!(err, ConnectError::TooNew { found: 999, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn bad_settings_and_unreachable_servers_are_refused_clearly() {
    let bad_schema = PostgresOptions::default().with_schema("no-dashes");
    let err = PostgresStore::connect(&url(), bad_schema)
        .await
        .expect_err("bad schema");
    assert!(matches!(err, ConnectError::InvalidSchema { .. }), "{err}");

    let err = PostgresStore::connect("postgres://nobody@127.0.0.1:1/none", Default::default())
        .await
        .expect_err("nothing listens on port 1");
    assert!(
        matches!(err, ConnectError::Connect(StoreError::Unavailable(_))),
        "{err}"
    );
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
}

#[tokio::test]
async fn nul_in_an_error_message_is_stored_as_a_replacement_character() {
    let (store, _schema) = common::fresh_store().await;
    let task = new_task("EMAIL");
    store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![task.clone()],
            now: now(),
        })
        .await
        .expect("insert");
    let params = TaskClaimParams {
        types: vec!["EMAIL".to_owned()],
        limit: 1,
        now: now(),
        lease_expires_at: now() + chrono::TimeDelta::seconds(30),
        lease_token: LeaseToken(1),
        holder: "test-worker".to_owned(),
    };
    let lease = store
        .task_claim(&params)
        .await
        .expect("claim")
        .pop()
        .expect("lease");
    let error = "bad\0byte".to_owned();
    let failed = Outcome::Failed {
        error: error.clone(),
    };
    let finish = Finish::new(&lease, failed, EventKind::Failed, Some(error));

    let applied = store
        .task_finish_many(TaskFinishManyParams {
            finishes: vec![finish],
            now: now(),
        })
        .await
        .expect("finish");

    assert_eq!(applied, [true]);
    let stored = store
        .task_get(&TaskGetParams::new(&task.id))
        .await
        .expect("get")
        .expect("task");
    assert_eq!(stored.last_error.as_deref(), Some("bad\u{FFFD}byte"));
    let events = store
        .task_events(&TaskEventsParams::new(&task.id))
        .await
        .expect("events");
    let last = events.last().expect("events");
    assert_eq!(last.message.as_deref(), Some("bad\u{FFFD}byte"));
}

/// Polls `ping` until it succeeds; every failure on the way must be `Unavailable`.
async fn ping_until_answered(store: &PostgresStore) {
    eventually(
        "the store answers ping",
        Duration::from_secs(20),
        async || match store.ping().await {
            Ok(()) => Ok(()),
            Err(StoreError::Unavailable(err)) => Err(err),
            Err(err) => panic!("the store did not recover: {err}"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_recovers_when_the_server_drops_its_connections() {
    let schema = SchemaGuard::new();
    let name = schema.name.clone();
    let store = PostgresStore::connect(&url_named(&name), schema.options())
        .await
        .expect("connect");
    let signal = store.cluster().expect("signal").work_signal();
    store.ping().await.expect("ping");

    // What a restart does to this node: every session ends with admin_shutdown.
    let kill = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                WHERE application_name = $1 AND pid <> pg_backend_pid()";
    let killed: i64 = inspect()
        .await
        .query_one(kill, &[&name])
        .await
        .expect("kill")
        .get(0);
    assert!(
        killed >= 2,
        "the pool and the LISTEN connection, got {killed}"
    );

    ping_until_answered(&store).await;
    tokio::time::timeout(Duration::from_secs(20), signal.notified())
        .await
        .expect("the LISTEN connection comes back and fires once");
    let other = schema.connect().await;
    other
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![new_task("EMAIL")],
            now: now(),
        })
        .await
        .expect("insert");
    tokio::time::timeout(Duration::from_secs(20), signal.notified())
        .await
        .expect("wake-ups arrive again after the reconnection");
    assert_eq!(
        store
            .task_counts()
            .await
            .expect("counts")
            .values()
            .sum::<u64>(),
        1
    );
}
