//! The full task API: enqueue with every field, batches, filtered pages, history.

use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rustqueue_core::EnqueueRequest;
use rustqueue_core::engine::TaskPage;
use rustqueue_core::store::{Inserted, PageOrder, TaskPageParams};
use rustqueue_core::task::{RawJson, Task, TaskEvent};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::filters::{FILTER_KEYS, FilterParams, decode_cursor, encode_cursor, query_part};
use crate::error::ApiError;
use crate::extract::{JsonBody, PathParams};
use crate::telemetry::TraceParent;

/// The most tasks one batch may hold.
pub const MAX_BATCH: usize = 10_000;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enqueue, list))
        .routes(routes!(enqueue_batch))
        .routes(routes!(show, delete))
        .routes(routes!(retry))
        .routes(routes!(history))
}

/// A task to enqueue, with every field a caller may set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskBody {
    /// The task type (see `GET /api/types`).
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub task_type: String,
    /// Any JSON value, kept byte for byte; `null` when absent.
    #[schema(value_type = Value, required = false)]
    pub payload: Option<RawJson>,
    /// The queue (default `default`).
    pub queue: Option<String>,
    /// Higher runs sooner (default 0).
    pub priority: Option<i32>,
    /// The most attempts in total (default 3, at most 1000).
    pub max_retries: Option<u32>,
    /// Not before this time (ISO-8601); exclusive with `delay_ms`.
    #[serde(default, deserialize_with = "super::iso_time::option")]
    pub run_at: Option<DateTime<Utc>>,
    /// Not before this many milliseconds from now; exclusive with `run_at`.
    pub delay_ms: Option<u64>,
    /// While a task with this key is QUEUED or INPROGRESS, enqueueing the key again returns it.
    pub unique_key: Option<String>,
    /// Per-attempt timeout in milliseconds (default: the server's).
    pub timeout_ms: Option<u64>,
    /// The key the queue's per-key limit counts the task under (1 to 255 bytes, no
    /// control characters); a task without one is held only by the queue-wide limit.
    pub concurrency_key: Option<String>,
}

impl NewTaskBody {
    fn into_request(self, traceparent: Option<String>) -> EnqueueRequest {
        let payload = self.payload.unwrap_or_else(null_payload);
        EnqueueRequest {
            traceparent,
            queue: self.queue,
            priority: self.priority,
            max_retries: self.max_retries,
            run_at: self.run_at,
            delay: self.delay_ms.map(Duration::from_millis),
            unique_key: self.unique_key,
            timeout_ms: self.timeout_ms,
            concurrency_key: self.concurrency_key,
            ..EnqueueRequest::new(self.task_type, payload)
        }
    }
}

fn null_payload() -> RawJson {
    // "null" is valid JSON, so this cannot fail.
    RawValue::from_string("null".into()).expect("null is JSON")
}

/// An enqueued task, or the unfinished task that already held its unique key.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnqueuedTask {
    /// The stored task.
    pub task: Task,
    /// True when nothing was created because the unique key was taken.
    pub duplicate: bool,
}

impl From<Inserted> for EnqueuedTask {
    fn from(inserted: Inserted) -> Self {
        Self {
            task: inserted.task,
            duplicate: inserted.duplicate,
        }
    }
}

/// Enqueue one task.
#[utoipa::path(post, path = "/api/tasks", tag = "tasks", request_body = NewTaskBody,
    responses((status = 201, body = EnqueuedTask, description = "created"),
              (status = 200, body = EnqueuedTask, description = "duplicate of an unfinished task with the same unique_key"),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn enqueue(
    State(state): State<AppState>,
    TraceParent(traceparent): TraceParent,
    JsonBody(body): JsonBody<NewTaskBody>,
) -> Result<(StatusCode, Json<EnqueuedTask>), ApiError> {
    let inserted = state.engine.enqueue(body.into_request(traceparent)).await?;
    let status = if inserted.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(inserted.into())))
}

/// Up to 10,000 tasks, enqueued all or nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// The tasks, in order.
    pub tasks: Vec<NewTaskBody>,
}

/// The result of a batch, in request order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// One entry per requested task.
    pub tasks: Vec<EnqueuedTask>,
}

/// Enqueue up to 10,000 tasks in one transaction: all or nothing.
#[utoipa::path(post, path = "/api/tasks/batch", tag = "tasks", request_body = BatchBody,
    responses((status = 201, body = BatchResponse), (status = 422, body = crate::error::ErrorBody)))]
pub async fn enqueue_batch(
    State(state): State<AppState>,
    TraceParent(traceparent): TraceParent,
    JsonBody(body): JsonBody<BatchBody>,
) -> Result<(StatusCode, Json<BatchResponse>), ApiError> {
    if body.tasks.is_empty() || body.tasks.len() > MAX_BATCH {
        return Err(ApiError::unprocessable(format!(
            "a batch holds 1 to {MAX_BATCH} tasks"
        )));
    }
    let requests = body
        .tasks
        .into_iter()
        .map(|task| task.into_request(traceparent.clone()))
        .collect();
    let inserted = state.engine.enqueue_many(requests).await?;
    let tasks = inserted.into_iter().map(EnqueuedTask::from).collect();
    Ok((StatusCode::CREATED, Json(BatchResponse { tasks })))
}

/// The query keys of [`PageQuery`].
const PAGE_KEYS: &[&str] = &["order", "limit", "cursor"];

/// Which way a page goes.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
}

/// Paging of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Newest (default) or oldest first.
    pub order: Option<Order>,
    /// Tasks per page, 1 to 500 (default 50).
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A filtered page of tasks; follow `next_cursor` for the next one. Pages cost the same at any depth.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks", params(FilterParams, PageQuery),
    responses((status = 200, body = TaskPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<TaskPage>, ApiError> {
    // One query string, two structs: each refuses the keys neither declares.
    let filter: FilterParams = query_part(query.as_deref(), PAGE_KEYS)?;
    let page: PageQuery = query_part(query.as_deref(), FILTER_KEYS)?;
    let after = page.cursor.as_deref().map(decode_cursor).transpose()?;
    let order = match page.order.unwrap_or_default() {
        Order::Newest => PageOrder::NewestFirst,
        Order::Oldest => PageOrder::OldestFirst,
    };
    let params = TaskPageParams {
        filter: filter.into_filter()?,
        order,
        after,
        limit: page.limit.unwrap_or(50),
    };
    // Every rule broken here is a query parameter's: 400, as for the status.
    let mut page = state
        .engine
        .page(params)
        .await
        .map_err(|error| ApiError::from(error).into_bad_request())?;
    page.next_cursor = page.next_cursor.as_deref().map(encode_cursor);
    Ok(Json(page))
}

/// A task's history: one event per transition, oldest first.
#[utoipa::path(get, path = "/api/tasks/{id}/events", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = Vec<TaskEvent>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Vec<TaskEvent>>, ApiError> {
    Ok(Json(state.engine.history(&id).await?))
}

/// One task.
#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = Task), (status = 404, body = crate::error::ErrorBody)))]
pub async fn show(state: State<AppState>, id: PathParams<String>) -> Result<Json<Task>, ApiError> {
    super::jobs::show(state, id).await
}

/// Queue a FAILED task again with a fresh attempt budget; its history is kept.
#[utoipa::path(post, path = "/api/tasks/{id}/retry", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = Task), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn retry(state: State<AppState>, id: PathParams<String>) -> Result<Json<Task>, ApiError> {
    super::jobs::retry(state, id).await
}

/// Delete a task and its history; a running attempt is cancelled.
#[utoipa::path(delete, path = "/api/tasks/{id}", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = super::jobs::MessageResponse), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    state: State<AppState>,
    id: PathParams<String>,
) -> Result<Json<super::jobs::MessageResponse>, ApiError> {
    super::jobs::delete(state, id).await
}
