//! Traces: the trace context sent with an enqueue reaches the attempt that
//! runs the task, so one trace holds the caller, the enqueue request and the
//! attempt, with the handler's own log lines inside the attempt. Spans are
//! caught by the OpenTelemetry SDK's in-memory exporter, in this process.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::typed::handler_fn;
use rustqueue_core::{Engine, EngineConfig, Registry, TaskContext, TaskError};
use rustqueue_server::api::AppState;
use rustqueue_server::app::{HttpSettings, app};
use rustqueue_server::telemetry;
use rustqueue_store_tests::eventually;
use serde_json::{Value as Json, json};
use tracing_subscriber::layer::SubscriberExt;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// A handler that logs one line, which belongs inside its attempt's span.
async fn chatty(_ctx: TaskContext, _payload: Json) -> Result<(), TaskError> {
    tracing::info!("chatty handler ran");
    Ok(())
}

/// Serves an app whose engine links attempts to their stored trace context,
/// as `rustqueue serve` does; returns its base URL.
async fn serve_traced_app() -> String {
    let mut registry = Registry::new();
    registry.register("CHATTY", handler_fn(chatty));
    let config = EngineConfig {
        link_span: Some(telemetry::link_span),
        ..EngineConfig::default()
    };
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(store, registry, config, Arc::new(SystemClock));
    engine.start().await.expect("engine starts");
    let settings = HttpSettings {
        api_token: None,
        cors_origins: Vec::new(),
        body_limit: 1024 * 1024,
    };
    let router = app(AppState { engine }, &settings).expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("free port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Waits for a finished span named `name`, for at most ten seconds.
async fn finished_span(exporter: &InMemorySpanExporter, name: &str) -> SpanData {
    eventually(
        format!("a {name} span"),
        Duration::from_secs(10),
        async || {
            let spans = exporter.get_finished_spans().expect("spans");
            spans.into_iter().find(|span| span.name == name)
        },
    )
    .await
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv: &&KeyValue| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_continues_the_trace_of_its_enqueue() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("tests"));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .expect("the only subscriber of this test binary");
    let base = serve_traced_app().await;

    let response = reqwest::Client::new()
        .post(format!("{base}/api/enqueue"))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .json(&json!({"payload": "hi", "t_type": "CHATTY"}))
        .send()
        .await
        .expect("enqueue");
    assert_eq!(response.status(), 200);
    let enqueued: Json = response.json().await.expect("json");
    let id = enqueued["id"].as_str().expect("id");

    let trace_id = TraceId::from_hex(TRACE_ID).expect("hex");
    let request = finished_span(&exporter, "POST /api/enqueue").await;
    assert_eq!(request.span_context.trace_id(), trace_id);
    assert_eq!(
        request.parent_span_id,
        SpanId::from_hex(CALLER_SPAN).expect("hex")
    );
    let request_span = request.span_context.span_id();
    assert_eq!(
        enqueued["task"]["traceparent"],
        format!("00-{TRACE_ID}-{request_span}-01"),
        "the task stores the enqueue request's own context"
    );

    let attempt = finished_span(&exporter, "attempt").await;
    assert_eq!(attempt.span_context.trace_id(), trace_id);
    assert_eq!(attempt.parent_span_id, request_span);
    assert_eq!(
        attribute(&attempt, "task.id"),
        Some(&Value::from(id.to_owned()))
    );
    assert_eq!(
        attribute(&attempt, "task.type"),
        Some(&Value::from("CHATTY"))
    );
    assert_eq!(
        attribute(&attempt, "task.queue"),
        Some(&Value::from("default"))
    );
    assert_eq!(attribute(&attempt, "task.attempt"), Some(&Value::I64(1)));
    assert!(
        attempt
            .events
            .iter()
            .any(|event| event.name == "chatty handler ran"),
        "the handler's log line is inside the attempt: {:?}",
        attempt.events
    );
}
