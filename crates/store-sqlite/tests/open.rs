//! Opening SQLite files: the exclusive lock, migrations on reopen, durability across reopen.

use std::path::Path;

use chrono::{SubsecRound, Utc};
use rustqueue_core::store::{
    LeaseToken, Outcome, QueueSetPausedParams, Store, TaskEventsParams, TaskFinishManyParams,
    TaskGetParams, TaskInsertManyParams, TaskNextRunAtParams,
};
use rustqueue_core::task::{EventKind, NewTask, TaskStatus, new_task_id};
use rustqueue_store_sqlite::testing::TestDatabase;
use rustqueue_store_sqlite::{OpenError, SqliteOptions, SqliteStore, Synchronous};
use rustqueue_store_tests::eventually;
use serde_json::value::RawValue;

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, SqliteOptions::default()).expect("open store")
}

fn new_task(payload: &str) -> NewTask {
    NewTask {
        id: new_task_id(),
        task_type: "EMAIL".to_owned(),
        payload: RawValue::from_string(payload.to_owned()).expect("json"),
        queue: "default".to_owned(),
        priority: 0,
        max_retries: 3,
        run_at: Utc::now().trunc_subsecs(6),
        unique_key: None,
        timeout_ms: Some(250),
        concurrency_key: None,
        traceparent: None,
        note: None,
    }
}

fn schema_version(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("inspect");
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("user_version")
}

#[tokio::test]
async fn a_second_open_of_the_same_file_is_refused() {
    let db = TestDatabase::new();
    let path = db.path().to_owned();
    let store = open(&path);
    assert!(store.is_exclusive());

    let err = SqliteStore::open(&path, SqliteOptions::default()).expect_err("the file is locked");

    assert!(matches!(err, OpenError::Locked { .. }), "{err}");
    assert!(
        err.to_string().contains("in use by another process"),
        "{err}"
    );
    drop(store);
    open(&path)
        .ping()
        .await
        .expect("reopens once the first store is dropped");
}

#[tokio::test]
async fn data_survives_close_and_reopen() {
    let db = TestDatabase::new();
    let path = db.path().to_owned();
    let now = Utc::now().trunc_subsecs(6);
    let done = NewTask {
        run_at: now,
        ..new_task(r#"{"to": "a@b.c"}"#)
    };
    let waiting = NewTask {
        run_at: now,
        ..new_task("[1, 2]")
    };
    {
        let store = open(&path);
        store
            .task_insert_many(TaskInsertManyParams {
                tasks: vec![done.clone(), waiting.clone()],
                now,
            })
            .await
            .expect("insert");
        let params = rustqueue_core::store::TaskClaimParams {
            types: vec!["EMAIL".to_owned()],
            limit: 1,
            now,
            lease_expires_at: now,
            lease_token: LeaseToken(9),
            holder: "test-worker".to_owned(),
        };
        let lease = store.task_claim(&params).await.expect("claim").remove(0);
        let finish = rustqueue_core::store::Finish {
            task_id: lease.task.id.clone(),
            token: lease.token,
            expired_by: None,
            outcome: Outcome::Completed {
                result: Some(RawValue::from_string("\"ok\"".into()).expect("json")),
            },
            event: EventKind::Completed,
            message: None,
        };
        assert_eq!(
            store
                .task_finish_many(TaskFinishManyParams {
                    finishes: vec![finish],
                    now
                })
                .await
                .expect("finish"),
            [true]
        );
        store
            .queue_set_paused(&QueueSetPausedParams::new("bulk", true, now))
            .await
            .expect("pause");
    }

    let store = open(&path);

    let first = store
        .task_get(&TaskGetParams::new(&done.id))
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(
        (first.status, first.result.as_ref().map(|r| r.get())),
        (TaskStatus::Completed, Some("\"ok\""))
    );
    let second = store
        .task_get(&TaskGetParams::new(&waiting.id))
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(
        (second.status, second.payload.get(), second.timeout_ms),
        (TaskStatus::Queued, "[1, 2]", Some(250))
    );
    assert_eq!(
        store
            .task_events(&TaskEventsParams::new(&done.id))
            .await
            .expect("events")
            .len(),
        3
    );
    let queues = store.queue_list().await.expect("queues");
    assert!(queues.iter().any(|q| q.name == "bulk" && q.paused));
}

#[tokio::test]
async fn migrations_apply_once_and_reopen_is_idempotent() {
    let db = TestDatabase::new();
    let path = db.path().to_owned();
    drop(open(&path));
    let version = schema_version(&path);
    assert!(version >= 1);

    for _ in 0..3 {
        let store = open(&path);
        store.ping().await.expect("ping");
    }

    assert_eq!(schema_version(&path), version);
}

#[tokio::test]
async fn a_file_from_a_newer_build_is_refused() {
    let db = TestDatabase::new();
    let path = db.path().to_owned();
    drop(open(&path));
    let conn = rusqlite::Connection::open(&path).expect("inspect");
    conn.pragma_update(None, "user_version", 1000)
        .expect("set version");
    drop(conn);

    let err = SqliteStore::open(&path, SqliteOptions::default()).expect_err("too new");

    assert!(
        matches!(err, OpenError::TooNew { found: 1000, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn opens_from_a_url_with_full_sync() {
    let db = TestDatabase::new();
    let path = db.dir().join("url.db");
    let url = format!("sqlite://{}", path.display());
    let options = SqliteOptions {
        synchronous: Synchronous::Full,
        ..SqliteOptions::default()
    };

    let store = SqliteStore::open_url(&url, options).expect("open from url");

    assert_eq!(store.path(), path);
    store.ping().await.expect("ping");
    let bad = SqliteStore::open_url("postgres://localhost/db", SqliteOptions::default())
        .expect_err("not sqlite");
    assert!(matches!(bad, OpenError::InvalidUrl { .. }), "{bad}");
}

#[tokio::test]
async fn a_missing_directory_is_a_clear_error() {
    let db = TestDatabase::new();
    let path = db.dir().join("no/such/dir/queue.db");
    let err = SqliteStore::open(&path, SqliteOptions::default()).expect_err("no directory");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

/// Claims find queued tasks in the tasks themselves: counters that are wrong
/// (here wiped behind the store's back) make the counts wrong, never a task stuck.
#[tokio::test]
async fn claims_do_not_depend_on_the_counters() {
    let db = TestDatabase::new();
    let path = db.path().to_owned();
    let now = Utc::now().trunc_subsecs(6);
    let task = NewTask {
        run_at: now,
        ..new_task("1")
    };
    open(&path)
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![task.clone()],
            now,
        })
        .await
        .expect("insert");
    rusqlite::Connection::open(&path)
        .expect("inspect")
        .execute("DELETE FROM task_counts", [])
        .expect("wipe the counters");

    let store = open(&path);
    let params = rustqueue_core::store::TaskClaimParams {
        types: vec!["EMAIL".to_owned()],
        limit: 10,
        now,
        lease_expires_at: now,
        lease_token: LeaseToken(1),
        holder: "test-worker".to_owned(),
    };
    assert_eq!(
        store
            .task_next_run_at(&TaskNextRunAtParams {
                types: params.types.to_vec()
            })
            .await
            .expect("next"),
        Some(now)
    );
    let leases = store.task_claim(&params).await.expect("claim");
    assert_eq!(
        leases
            .iter()
            .map(|l| l.task.id.as_str())
            .collect::<Vec<_>>(),
        [task.id.as_str()]
    );
}

/// The WAL is copied into the database file in the background, well before
/// SQLite's own threshold would make a commit do it on the writer's thread.
#[tokio::test]
async fn the_wal_is_checkpointed_in_the_background() {
    let db = TestDatabase::new();
    let path = db.path().to_owned();
    let store = open(&path);
    let size = || std::fs::metadata(&path).expect("database file").len();
    let before = size();
    let tasks: Vec<NewTask> = (0..200).map(|n| new_task(&n.to_string())).collect();
    store
        .task_insert_many(TaskInsertManyParams {
            tasks,
            now: Utc::now().trunc_subsecs(6),
        })
        .await
        .expect("insert");

    eventually(
        format!("the database file grows past {before} bytes: a checkpoint"),
        std::time::Duration::from_secs(10),
        async || size() > before,
    )
    .await;
}
