//! The cron routes over HTTP: entries listed with their last and next runs,
//! enabled and disabled behind the cross-site guard, the retention in force,
//! and bad entries refused when `rustqueue serve` starts.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::{Engine, EngineConfig, Registry};
use rustqueue_server::api::AppState;
use rustqueue_server::app::{HttpSettings, app};
use rustqueue_server::cron_config::cron_flag;
use rustqueue_store_tests::eventually;
use serde_json::Value;

use crate::common::node::refused_start;

struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }

    async fn post(&self, path: &str, origin: Option<&str>) -> (u16, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        let response = request.send().await.expect("POST");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }

    async fn entry(&self, name: &str) -> Value {
        let (status, entries) = self.get("/api/cron").await;
        assert_eq!(status, 200);
        let found = entries
            .as_array()
            .expect("a list")
            .iter()
            .find(|e| e["name"] == name);
        found.cloned().expect("the entry is listed")
    }
}

/// A server on a free port with two entries: one every second, one nightly in Paris.
async fn start() -> Server {
    let mut registry = Registry::new();
    registry.declare_remote("TICK", "left queued");
    let config = EngineConfig {
        cron: vec![
            cron_flag("tick=* * * * * *;TICK;queue=cron;priority=3;payload={\"n\":1}")
                .expect("flag"),
            cron_flag("nightly=0 0 3 * * *;TICK;timezone=Europe/Paris;backfill=true")
                .expect("flag"),
        ],
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        Arc::new(MemoryStore::new()),
        registry,
        config,
        Arc::new(SystemClock),
    );
    engine.start().await.expect("engine starts");
    let settings = HttpSettings {
        api_token: None,
        cors_origins: vec!["http://localhost:5173".into()],
        body_limit: 1024 * 1024,
    };
    let router = app(AppState { engine }, &settings).expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Server {
        base,
        client: reqwest::Client::new(),
    }
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("a time").parse().expect("RFC 3339")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_listed_with_their_last_and_next_runs() {
    let server = start().await;
    let nightly = server.entry("nightly").await;
    assert_eq!(nightly["schedule"], "0 0 3 * * *");
    assert_eq!(nightly["timezone"], "Europe/Paris");
    assert_eq!(
        (nightly["queue"].as_str(), nightly["backfill"].as_bool()),
        (Some("default"), Some(true))
    );
    assert_eq!(nightly["last_run"], Value::Null);
    let next = time(&nightly["next_run"]);
    assert!(next > Utc::now() && next - Utc::now() <= chrono::TimeDelta::hours(24));

    let tick = eventually("a tick", Duration::from_secs(10), async || {
        let tick = server.entry("tick").await;
        (!tick["last_run"].is_null()).then_some(tick)
    })
    .await;
    let (last, next) = (time(&tick["last_run"]), time(&tick["next_run"]));
    assert!(next > last, "{tick}");
    assert!(time(&tick["last_enqueued_at"]) >= last);
    assert_eq!(
        (tick["enabled"].as_bool(), tick["priority"].as_i64()),
        (Some(true), Some(3))
    );
    let id = tick["last_task_id"].as_str().expect("a task id");
    let (status, task) = server.get(&format!("/api/tasks/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (task["type"].as_str(), task["queue"].as_str()),
        (Some("TICK"), Some("cron"))
    );
    assert_eq!(task["payload"], serde_json::json!({"n": 1}));
    let (_, events) = server.get(&format!("/api/tasks/{id}/events")).await;
    let enqueued = &events[0];
    assert_eq!(enqueued["kind"], "enqueued");
    let message = enqueued["message"].as_str().expect("a message");
    assert_eq!(
        message,
        format!(
            "cron entry tick, tick {}",
            last.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_enqueues_the_entrys_task_once_and_leaves_its_ticks() {
    let server = start().await;
    let before = server.entry("nightly").await;
    let (status, created) = server.post("/api/cron/nightly/run", None).await;
    assert_eq!(status, 201, "{created}");
    let id = created["task"]["id"].as_str().expect("an id");
    assert_eq!(created["task"]["type"], "TICK");
    let (_, events) = server.get(&format!("/api/tasks/{id}/events")).await;
    assert_eq!(events[0]["message"], "cron entry nightly, run now");
    let after = server.entry("nightly").await;
    assert_eq!(
        (&after["last_run"], &after["next_run"]),
        (&before["last_run"], &before["next_run"]),
        "the schedule is untouched"
    );
    let (status, _) = server
        .post("/api/cron/nightly/run", Some("https://evil.example"))
        .await;
    assert_eq!(status, 403);
    let (status, missing) = server.post("/api/cron/nope/run", None).await;
    assert_eq!(
        (status, missing["detail"].as_str()),
        (404, Some("cron entry \"nope\" not found"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_enabled_and_disabled_behind_the_cross_site_guard() {
    let server = start().await;
    let (status, refused) = server
        .post("/api/cron/nightly/disable", Some("https://evil.example"))
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(server.entry("nightly").await["enabled"], true);

    let (status, off) = server.post("/api/cron/nightly/disable", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (off["enabled"].as_bool(), &off["next_run"]),
        (Some(false), &Value::Null)
    );
    assert_eq!(server.entry("nightly").await["enabled"], false);
    let (status, on) = server
        .post("/api/cron/nightly/enable", Some("http://localhost:5173"))
        .await;
    assert_eq!(status, 200);
    assert!(on["next_run"].is_string());

    let (status, missing) = server.post("/api/cron/nope/enable", None).await;
    assert_eq!(
        (status, missing["detail"].as_str()),
        (404, Some("cron entry \"nope\" not found"))
    );
    let (status, retention) = server.get("/api/retention").await;
    assert_eq!(status, 200);
    assert_eq!(
        retention,
        serde_json::json!({"completed_secs": 86400, "failed_secs": 604800})
    );
}

#[tokio::test]
async fn bad_entries_stop_the_server_with_a_clear_message() {
    let cases = [
        ("x=* * * * *;NOPE", "unknown task type \"NOPE\""),
        ("x=* * * * * * * *;EMAIL", "bad cron expression"),
        (
            "x=* * * * *;EMAIL;timezone=Moon/Base",
            "unknown time zone \"Moon/Base\"",
        ),
    ];
    for (flag, says) in cases {
        let stderr = refused_start(&["--cron".as_ref(), flag.as_ref()]).await;
        assert!(stderr.contains(says), "{flag}: {stderr}");
    }
}
