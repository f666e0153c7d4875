//! `GET /metrics`: Prometheus metrics, as OpenMetrics text to scrapers that
//! ask for it and as the Prometheus 0.0.4 text format otherwise. Task counts
//! and backlogs come from the store's counters and its backlog read, so on a shared store every node reports the
//! whole cluster: they carry `scope="cluster"`, and are read with `max`, not
//! `sum`, across nodes. Everything else (transitions, histograms of waits,
//! attempts and HTTP requests, workers) is this node's own, and sums.

mod format;
mod limits;
mod timings;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rustqueue_core::engine::{AttemptTimes, StatusCounts, TaskCounts};
use rustqueue_core::task::Timestamp;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::ApiError;
use crate::request_metrics::RequestMetrics;
use limits::register_limits;
use timings::{register_store_calls, register_timings};

type Labels = Vec<(&'static str, String)>;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Every metric, encoded for a scrape: OpenMetrics when `Accept` prefers it,
/// else the Prometheus 0.0.4 text format. A store that does not answer gives
/// `rustqueue_store_up 0` and no task counts, not an error.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, body = String, content(
        (String = "text/plain; version=0.0.4"),
        (String = "application/openmetrics-text; version=1.0.0"),
    ))))]
pub async fn metrics(
    State(state): State<AppState>,
    Extension(requests): Extension<RequestMetrics>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let mut registry = Registry::with_prefix("rustqueue");
    let counts = state.engine.counts().await;
    let up = Gauge::<i64>::default();
    up.set(i64::from(counts.is_ok()));
    registry.register("store_up", "Whether the store answered this scrape", up);
    if let Ok(counts) = &counts {
        register_counts(&mut registry, counts);
        register_backlog(&mut registry, counts, state.engine.now());
        if let Ok(queues) = state.engine.queues_of(counts).await {
            register_limits(&mut registry, &queues);
        }
    }
    register_node(&mut registry, &state);
    requests.register(&mut registry);
    let mut text = String::new();
    encode(&mut text, &registry).map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode metrics",
        )
    })?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if format::wants_openmetrics(accept) {
        return Ok(([(header::CONTENT_TYPE, format::OPENMETRICS)], text));
    }
    Ok((
        [(header::CONTENT_TYPE, format::TEXT)],
        format::to_text(&text),
    ))
}

fn status_family(counts: &StatusCounts, labels: &Labels, family: &Family<Labels, Gauge>) {
    for (status, count) in counts {
        let mut labels = labels.clone();
        labels.push(("status", status.as_str().to_owned()));
        family
            .get_or_create(&labels)
            .set(i64::try_from(*count).unwrap_or(i64::MAX));
    }
}

/// The label of gauges every node reports alike, for the whole cluster.
fn cluster() -> Labels {
    vec![("scope", "cluster".to_owned())]
}

fn register_counts(registry: &mut Registry, counts: &TaskCounts) {
    let tasks = Family::<Labels, Gauge>::default();
    status_family(&counts.by_status, &cluster(), &tasks);
    registry.register("tasks", "Tasks per status, cluster-wide", tasks);
    let by_queue = Family::<Labels, Gauge>::default();
    for (queue, statuses) in &counts.by_queue {
        let mut labels = cluster();
        labels.push(("queue", queue.clone()));
        status_family(statuses, &labels, &by_queue);
    }
    registry.register(
        "queue_tasks",
        "Tasks per queue and status, cluster-wide",
        by_queue,
    );
    let by_type = Family::<Labels, Gauge>::default();
    for (task_type, statuses) in &counts.by_type {
        let mut labels = cluster();
        labels.push(("type", task_type.clone()));
        status_family(statuses, &labels, &by_type);
    }
    registry.register(
        "type_tasks",
        "Tasks per type and status, cluster-wide",
        by_type,
    );
}

/// Each queue's backlog by state, and the age of its oldest ready task.
fn register_backlog(registry: &mut Registry, counts: &TaskCounts, now: Timestamp) {
    let backlog = Family::<Labels, Gauge>::default();
    let age = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    for (queue, queued) in &counts.backlog_by_queue {
        let mut labels = cluster();
        labels.push(("queue", queue.clone()));
        for (state, count) in [
            ("ready", queued.ready),
            ("scheduled", queued.scheduled),
            ("retrying", queued.retrying),
        ] {
            let mut labels = labels.clone();
            labels.push(("state", state.to_owned()));
            let count = i64::try_from(count).unwrap_or(i64::MAX);
            backlog.get_or_create(&labels).set(count);
        }
        let waited = queued.lag_ms(now).unwrap_or(0);
        age.get_or_create(&labels).set(waited as f64 / 1000.0);
    }
    registry.register(
        "queue_backlog",
        "QUEUED tasks per queue, cluster-wide, by state: ready (due now), scheduled \
         (run_at in the future, never attempted) or retrying (waiting out a back-off)",
        backlog,
    );
    registry.register(
        "queue_oldest_ready_age_seconds",
        "How long the oldest ready task of each queue has waited since its run_at, \
         cluster-wide; 0 when nothing in the queue is ready",
        age,
    );
}

fn register_node(registry: &mut Registry, state: &AppState) {
    let stats = state.engine.node_stats();
    let transitions = Family::<Labels, Counter>::default();
    for (kind, count) in &stats.transitions {
        transitions
            .get_or_create(&vec![("kind", (*kind).to_owned())])
            .inc_by(*count);
    }
    registry.register(
        "transitions",
        "Task transitions made by this node, by event kind",
        transitions,
    );
    register_attempts(registry, &stats.attempts);
    register_timings(registry, stats.timings);
    register_store_calls(registry, stats.store_calls);
    let pruned = Family::<Labels, Counter>::default();
    let (completed, failed) = stats.pruned;
    for (status, count) in [("COMPLETED", completed), ("FAILED", failed)] {
        pruned
            .get_or_create(&vec![("status", status.to_owned())])
            .inc_by(count);
    }
    registry.register(
        "pruned",
        "Finished tasks this node deleted by retention, by status",
        pruned,
    );
    let gauge = |value: usize| {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        gauge
    };
    registry.register(
        "workers",
        "Attempts this node may run at once",
        gauge(stats.workers),
    );
    registry.register(
        "workers_busy",
        "Attempts running on this node now",
        gauge(stats.busy),
    );
    registry.register(
        "lease_calls_waiting",
        "Remote workers' lease calls waiting for work on this node now",
        gauge(stats.lease_calls_waiting),
    );
}

fn register_attempts(registry: &mut Registry, by_type: &BTreeMap<String, AttemptTimes>) {
    let attempts = Family::<Labels, Counter>::default();
    let seconds = Family::<Labels, Counter<f64, AtomicU64>>::default();
    for (task_type, times) in by_type {
        let labels = vec![("type", task_type.clone())];
        attempts.get_or_create(&labels).inc_by(times.count);
        seconds.get_or_create(&labels).inc_by(times.seconds);
    }
    registry.register("attempts", "Attempts this node ran, by task type", attempts);
    registry.register(
        "attempt_seconds",
        "Time this node's attempts took, by task type (divide by attempts for the mean)",
        seconds,
    );
}
