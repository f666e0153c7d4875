//! The original PyQueue routes, kept word for word: enqueue, list, get, retry, delete, clear.

use axum::Json;
use axum::extract::State;
use rustqueue_core::EnqueueRequest;
use rustqueue_core::store::TaskListParams;
use rustqueue_core::task::{RawJson, Task, TaskStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::telemetry::TraceParent;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enqueue))
        .routes(routes!(list))
        .routes(routes!(show, delete))
        .routes(routes!(retry))
        .routes(routes!(clear))
}

/// The original enqueue body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnqueueBody {
    /// Any JSON value: a string (as the original clients send), number, object, array or null.
    #[schema(value_type = Value)]
    pub payload: RawJson,
    /// The task type.
    pub t_type: String,
}

/// The answer to an enqueue: the original message, plus the id and the task.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnqueueResponse {
    /// `Job <id> (Payload: <payload>, Type: <TYPE>) enqueued!`
    pub message: String,
    /// The new task's id.
    pub id: String,
    /// The stored task.
    pub task: Task,
}

/// A message-only answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    /// What happened.
    pub message: String,
}

/// Enqueue a task (the original route).
#[utoipa::path(post, path = "/api/enqueue", tag = "original", request_body = EnqueueBody,
    responses((status = 200, body = EnqueueResponse), (status = 422, body = crate::error::ErrorBody)))]
pub async fn enqueue(
    State(state): State<AppState>,
    TraceParent(traceparent): TraceParent,
    JsonBody(body): JsonBody<EnqueueBody>,
) -> Result<Json<EnqueueResponse>, ApiError> {
    let request = EnqueueRequest {
        traceparent,
        ..EnqueueRequest::new(body.t_type, body.payload)
    };
    let inserted = state.engine.enqueue(request).await?;
    let task = inserted.task;
    let message = format!(
        "Job {} (Payload: {}, Type: {}) enqueued!",
        task.id,
        payload_text(&task.payload),
        task.task_type
    );
    Ok(Json(EnqueueResponse {
        message,
        id: task.id.clone(),
        task,
    }))
}

/// A payload as the original message showed it: a string as its text, anything else as JSON.
fn payload_text(payload: &RawJson) -> String {
    serde_json::from_str::<String>(payload.get()).unwrap_or_else(|_| payload.get().to_owned())
}

/// Filters of the original list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A status in any letter case.
    pub status: Option<String>,
    /// At most this many tasks, oldest first (all of them when absent: the cost grows with the store).
    pub limit: Option<usize>,
}

/// Every task, oldest first, optionally by status (the original route).
#[utoipa::path(get, path = "/api/jobs", tag = "original", params(ListQuery),
    responses((status = 200, body = Vec<Task>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Vec<Task>>, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<TaskStatus>()
                .map_err(|_| ApiError::bad_request("Invalid status filter"))?,
        ),
    };
    let tasks = state
        .engine
        .list(&TaskListParams {
            status,
            limit: query.limit,
        })
        .await?;
    Ok(Json(tasks))
}

/// One task (the original route).
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "original", params(("id" = String, Path)),
    responses((status = 200, body = Task), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Task>, ApiError> {
    Ok(Json(state.engine.get(&id).await?))
}

/// Queue a FAILED task again (the original route).
#[utoipa::path(post, path = "/api/jobs/{id}/retry", tag = "original", params(("id" = String, Path)),
    responses((status = 200, body = Task), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Task>, ApiError> {
    Ok(Json(state.engine.retry(&id).await?))
}

/// Delete a task (the original route).
#[utoipa::path(delete, path = "/api/jobs/{id}", tag = "original", params(("id" = String, Path)),
    responses((status = 200, body = MessageResponse), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> Result<Json<MessageResponse>, ApiError> {
    state.engine.delete(&id).await?;
    Ok(Json(MessageResponse {
        message: format!("Job {id} deleted!"),
    }))
}

/// Delete every task (the original route).
#[utoipa::path(post, path = "/api/clear", tag = "original", responses((status = 200, body = MessageResponse)))]
pub async fn clear(State(state): State<AppState>) -> Result<Json<MessageResponse>, ApiError> {
    state.engine.clear().await?;
    Ok(Json(MessageResponse {
        message: "All jobs in the queue cleared!".into(),
    }))
}
