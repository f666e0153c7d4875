//! PostgreSQL crashes and restarts under load: enqueues answer 503 while it
//! is gone, readiness fails, the node reconnects by itself, and afterwards
//! no accepted task is missing and none stays `INPROGRESS`.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::node::Node;
use crate::common::private_postgres::PrivatePostgres;
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};
use tokio::time::Instant;

/// How long the producer enqueues, with the crash in the middle.
const LOAD_FOR: Duration = Duration::from_secs(4);

/// Tasks the producer must see accepted once the database is back.
const AFTER_RESTART: usize = 20;

/// What the producer saw.
#[derive(Default)]
struct Load {
    accepted: Vec<String>,
    accepted_after_restart: usize,
    unavailable: usize,
}

/// Enqueues one task at a time for `LOAD_FOR`, and on until [`AFTER_RESTART`]
/// tasks were accepted after `restarted` fired (a loaded machine restarts
/// PostgreSQL slowly); every answer is 200 or 503.
async fn produce(node_url: String, restarted: Arc<AtomicBool>) -> Load {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut load = Load::default();
    let until = Instant::now() + LOAD_FOR;
    let give_up = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until || load.accepted_after_restart < AFTER_RESTART {
        assert!(
            Instant::now() < give_up,
            "nothing accepted after the restart"
        );
        let body = json!({ "payload": "x", "t_type": "EMAIL" });
        let response = client
            .post(format!("{node_url}/api/enqueue"))
            .json(&body)
            .send()
            .await
            .expect("the node answers even while its database is gone");
        let status = response.status().as_u16();
        let answer: Value = response.json().await.expect("json");
        match status {
            200 => {
                load.accepted_after_restart += usize::from(restarted.load(Ordering::SeqCst));
                load.accepted
                    .push(answer["id"].as_str().expect("id").to_owned());
            }
            503 => {
                assert!(answer["detail"].is_string(), "{answer}");
                load.unavailable += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("enqueue answered {other}: {answer}"),
        }
    }
    load
}

/// Polls readiness every 10 ms until `until`, and says whether it ever failed.
async fn readiness_failed(node_url: String, until: Instant) -> bool {
    let mut failed = false;
    while Instant::now() < until {
        let ready = reqwest::get(format!("{node_url}/readyz")).await;
        failed |= ready.is_ok_and(|answer| answer.status() == 503);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_crash_loses_no_accepted_task() {
    let database = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .expect("private PostgreSQL");
    let node = Node::start(&[
        ("RUSTQUEUE_DATABASE_URL", database.url()),
        ("RUSTQUEUE_DEMO_SPEED", "50".into()),
        ("RUSTQUEUE_WORKERS", "16".into()),
        ("RUSTQUEUE_LEASE_SECS", "2".into()),
        ("RUSTQUEUE_BACKOFF_BASE_MS", "10".into()),
        ("RUSTQUEUE_BACKOFF_CAP_MS", "50".into()),
    ])
    .await;
    let started = Instant::now();
    let restarted = Arc::new(AtomicBool::new(false));
    let producer = tokio::spawn(produce(node.base.clone(), restarted.clone()));
    let readiness = tokio::spawn(readiness_failed(node.base.clone(), started + LOAD_FOR));
    tokio::time::sleep(LOAD_FOR / 4).await;
    let database = tokio::task::spawn_blocking(move || {
        database.crash_restart();
        database
    })
    .await
    .expect("restart");
    restarted.store(true, Ordering::SeqCst);
    let load = producer.await.expect("producer");
    assert!(load.unavailable > 0, "the crash was seen as 503s");
    assert!(
        readiness.await.expect("readiness"),
        "readiness failed during the outage"
    );
    assert!(
        load.accepted.len() > load.accepted_after_restart,
        "work was accepted before the crash too"
    );

    let accepted: HashSet<&str> = load.accepted.iter().map(String::as_str).collect();
    eventually(
        "every task completes",
        Duration::from_secs(60),
        async || {
            let jobs = node.jobs().await;
            let ids: HashSet<&str> = jobs.iter().filter_map(|job| job["id"].as_str()).collect();
            let missing = accepted.difference(&ids).count();
            assert_eq!(missing, 0, "every accepted task is still there");
            let unfinished: Vec<&Value> = jobs
                .iter()
                .filter(|job| job["status"] != "COMPLETED")
                .collect();
            if unfinished.is_empty() {
                Ok(())
            } else {
                Err(format!("still unfinished: {unfinished:?}"))
            }
        },
    )
    .await;
    drop(node);
    drop(database);
}
