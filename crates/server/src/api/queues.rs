//! Queues, counts and task types: what the dashboard polls and steers.

use axum::Json;
use axum::extract::State;
use rustqueue_core::engine::{MAX_NAME_LEN, QueueInfo, TaskCounts};
use rustqueue_core::limits::QueueLimits;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, PathParams};

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(counts))
        .routes(routes!(queues))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(set_limits))
        .routes(routes!(types))
}

/// Tasks per status, per type and per queue, from counters, and the backlog:
/// `QUEUED` tasks as ready, scheduled and retrying, overall and per queue.
/// Cheap at any size: only the tasks not due yet are read, through an index.
#[utoipa::path(get, path = "/api/counts", tag = "queues", responses((status = 200, body = TaskCounts)))]
pub async fn counts(State(state): State<AppState>) -> Result<Json<TaskCounts>, ApiError> {
    Ok(Json(state.engine.counts().await?))
}

/// Every queue with tasks or a pause record, with its counts, its backlog
/// (`backlog.ready` is its depth) and `lag_ms`, how long its oldest ready task has waited.
#[utoipa::path(get, path = "/api/queues", tag = "queues", responses((status = 200, body = Vec<QueueInfo>)))]
pub async fn queues(State(state): State<AppState>) -> Result<Json<Vec<QueueInfo>>, ApiError> {
    Ok(Json(state.engine.queues().await?))
}

/// Pause a queue: it keeps accepting tasks but starts none.
#[utoipa::path(post, path = "/api/queues/{name}/pause", tag = "queues", params(("name" = String, Path)),
    responses((status = 200, body = QueueInfo), (status = 422, body = crate::error::ErrorBody)))]
pub async fn pause(
    state: State<AppState>,
    name: PathParams<String>,
) -> Result<Json<QueueInfo>, ApiError> {
    set_paused(state, name, true).await
}

/// Resume a paused queue. Its record is removed: a queue with no tasks
/// (one paused by mistake) is listed no more.
#[utoipa::path(post, path = "/api/queues/{name}/resume", tag = "queues", params(("name" = String, Path)),
    responses((status = 200, body = QueueInfo), (status = 422, body = crate::error::ErrorBody)))]
pub async fn resume(
    state: State<AppState>,
    name: PathParams<String>,
) -> Result<Json<QueueInfo>, ApiError> {
    set_paused(state, name, false).await
}

/// Set a queue's limits: `concurrency` (tasks running at once), `per_key_limit`
/// (running at once per `concurrency_key`), `key_limits` (that limit for named
/// keys) and `fairness` (`round_robin`: keys take turns). `{}` removes them.
/// Tasks over a limit are skipped by claims, not waited on.
#[utoipa::path(put, path = "/api/queues/{name}/limits", tag = "queues", params(("name" = String, Path)),
    request_body = QueueLimits,
    responses((status = 200, body = QueueInfo), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_limits(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    JsonBody(limits): JsonBody<QueueLimits>,
) -> Result<Json<QueueInfo>, ApiError> {
    check_queue_name(&name)?;
    state.engine.set_queue_limits(&name, limits).await?;
    Ok(Json(state.engine.queue(&name).await?))
}

fn check_queue_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(format!(
            "a queue name is 1 to {MAX_NAME_LEN} bytes with no control characters"
        )));
    }
    Ok(())
}

async fn set_paused(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    paused: bool,
) -> Result<Json<QueueInfo>, ApiError> {
    check_queue_name(&name)?;
    state.engine.set_queue_paused(&name, paused).await?;
    Ok(Json(state.engine.queue(&name).await?))
}

/// A task type this server knows, and who serves it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskTypeInfo {
    /// The name to enqueue it with.
    pub name: String,
    /// What it does (the demo types give their simulated duration).
    pub description: String,
    /// Whether this server runs it itself.
    pub local: bool,
    /// How many remote workers asked for it in the last minute: a remote
    /// type with none sits `QUEUED` until a worker comes.
    pub workers: usize,
}

/// The registered task types.
#[utoipa::path(get, path = "/api/types", tag = "queues", responses((status = 200, body = Vec<TaskTypeInfo>)))]
pub async fn types(State(state): State<AppState>) -> Result<Json<Vec<TaskTypeInfo>>, ApiError> {
    let types = state
        .engine
        .type_services()
        .await?
        .into_iter()
        .map(|t| TaskTypeInfo {
            name: t.name,
            description: t.description,
            local: t.local,
            workers: t.workers,
        });
    Ok(Json(types.collect()))
}
