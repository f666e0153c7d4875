//! Starts the whole app on a free port with its own store, for black-box HTTP tests.

#![allow(dead_code, missing_docs)]

pub(crate) mod cli;
pub(crate) mod node;
pub(crate) mod private_postgres;

use std::sync::Arc;
use std::time::Duration;

use rustqueue_core::builtin::register_demo_types;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::retry::Backoff;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::{Engine, EngineConfig, Registry, Store};
use rustqueue_server::api::AppState;
use rustqueue_server::app::{HttpSettings, app};
use rustqueue_store_postgres::testing::TestSchema;
use rustqueue_store_sqlite::testing::TestDatabase;
use rustqueue_store_tests::eventually;
use serde_json::Value;

/// A running server and a client pointed at it.
pub(crate) struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub engine: Engine,
    /// The SQLite file of this test, if it runs there.
    _database: Option<TestDatabase>,
    /// Dropped last: the PostgreSQL schema of this test, if it runs there.
    _schema: Option<TestSchema>,
}

/// Runs each named async fn (taking a [`Backend`]) as one test per backend.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod memory { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Memory).await } )* }
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

/// Which store a test runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Memory,
    Sqlite,
    /// A schema of its own in the machine's PostgreSQL.
    Postgres,
}

pub(crate) fn settings() -> HttpSettings {
    HttpSettings {
        api_token: None,
        cors_origins: vec!["http://localhost:5173".into()],
        body_limit: 1024 * 1024,
    }
}

/// Demo types at 1000× speed (EMAIL takes 2 ms), a type `REMOTE` for remote
/// workers, and 10 ms back-off.
pub(crate) async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, settings()).await
}

pub(crate) async fn spawn_app_with(backend: Backend, settings: HttpSettings) -> TestApp {
    let mut database = None;
    let mut schema = None;
    let store: Arc<dyn Store> = match backend {
        Backend::Memory => Arc::new(MemoryStore::new()),
        Backend::Postgres => {
            let fresh = TestSchema::new();
            let store = Arc::new(fresh.connect().await);
            schema = Some(fresh);
            store
        }
        Backend::Sqlite => {
            let fresh = TestDatabase::new();
            let store = Arc::new(fresh.open());
            database = Some(fresh);
            store
        }
    };
    let mut registry = Registry::new();
    register_demo_types(&mut registry, 1000.0);
    registry.declare_remote("REMOTE", "run by the tests");
    let config = EngineConfig {
        backoff: Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
        },
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, registry, config, Arc::new(SystemClock));
    engine.start().await.expect("engine starts");
    let router = app(
        AppState {
            engine: engine.clone(),
        },
        &settings,
    )
    .expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("free port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    TestApp {
        base,
        client: reqwest::Client::new(),
        engine,
        _database: database,
        _schema: schema,
    }
}

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with no body.
    pub(crate) async fn send(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Posts a raw body, exactly as given.
    pub(crate) async fn post_body(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// Posts a JSON value.
    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Posts a JSON value, expects `status`, and parses the answer.
    pub(crate) async fn post_expect(&self, path: &str, body: &Value, status: u16) -> Value {
        let response = self.post_json(path, body).await;
        let got = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_eq!(got, status, "POST {path} {body}: {text}");
        serde_json::from_str(&text).expect("json")
    }

    /// GETs a path and parses the JSON answer.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.send(reqwest::Method::GET, path)
            .await
            .json()
            .await
            .expect("json")
    }

    pub(crate) async fn enqueue(&self, payload: Value, task_type: &str) -> Value {
        let response = self
            .client
            .post(self.url("/api/enqueue"))
            .json(&serde_json::json!({ "payload": payload, "t_type": task_type }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    pub(crate) async fn job(&self, id: &str) -> Value {
        self.client
            .get(self.url(&format!("/api/jobs/{id}")))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    /// Polls the task until it has `status`, for at most ten seconds.
    pub(crate) async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        let reached = async || {
            let job = self.job(id).await;
            if job["status"] == status {
                Ok(job)
            } else {
                Err(job)
            }
        };
        eventually(
            format!("job {id} reaches {status}"),
            Duration::from_secs(10),
            reached,
        )
        .await
    }
}

/// One number from a query on the test schema (`{schema}` in `sql` names it).
pub(crate) async fn count(schema: &TestSchema, sql: &str) -> i64 {
    let client = rustqueue_store_postgres::testing::inspect()
        .await
        .expect("inspect");
    let sql = sql.replace("{schema}", &format!("\"{}\"", schema.name));
    client.query_one(&sql, &[]).await.expect(&sql).get(0)
}
