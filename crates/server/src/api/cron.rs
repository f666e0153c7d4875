//! Cron entries: listed with their last and next runs, enabled and disabled
//! on every node. The entries themselves come from `--cron` and `--cron-file`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rustqueue_core::engine::{CronStatus, DEFAULT_MAX_RETRIES, DEFAULT_QUEUE};
use rustqueue_core::task::RawJson;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::ApiError;
use crate::extract::PathParams;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(run_now))
}

/// A cron entry: its schedule, the task each tick enqueues, and its runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CronEntryInfo {
    /// The entry's name.
    pub name: String,
    /// The cron expression (5 fields, or 6 with seconds first).
    pub schedule: String,
    /// The IANA time zone the expression is read in.
    pub timezone: String,
    /// The task type each tick enqueues.
    #[serde(rename = "type")]
    pub task_type: String,
    /// The payload of each task.
    #[schema(value_type = Value)]
    pub payload: RawJson,
    /// The queue of each task.
    pub queue: String,
    /// The priority of each task.
    pub priority: i32,
    /// The most attempts each task gets.
    pub max_retries: u32,
    /// Whether ticks missed during downtime are enqueued late (otherwise skipped).
    pub backfill: bool,
    /// Whether ticks enqueue tasks (on every node).
    pub enabled: bool,
    /// The scheduled time of the last tick that enqueued a task.
    pub last_run: Option<DateTime<Utc>>,
    /// When that task was enqueued.
    pub last_enqueued_at: Option<DateTime<Utc>>,
    /// The task that tick enqueued (it may have been deleted since).
    pub last_task_id: Option<String>,
    /// The next tick; null when disabled.
    pub next_run: Option<DateTime<Utc>>,
}

impl From<CronStatus> for CronEntryInfo {
    fn from(status: CronStatus) -> Self {
        let CronStatus {
            entry,
            record,
            next_run,
        } = status;
        Self {
            schedule: entry.schedule.expression().to_owned(),
            timezone: entry.schedule.zone().to_owned(),
            queue: entry.queue.unwrap_or_else(|| DEFAULT_QUEUE.to_owned()),
            priority: entry.priority.unwrap_or(0),
            max_retries: entry.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            name: entry.name,
            task_type: entry.task_type,
            payload: entry.payload,
            backfill: entry.backfill,
            enabled: record.enabled,
            last_run: record.last_tick,
            last_enqueued_at: record.last_enqueued_at,
            last_task_id: record.last_task_id,
            next_run,
        }
    }
}

/// Every cron entry, by name, with its last and next run.
#[utoipa::path(get, path = "/api/cron", tag = "cron", responses((status = 200, body = Vec<CronEntryInfo>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<CronEntryInfo>>, ApiError> {
    let entries = state.engine.cron_entries().await?;
    Ok(Json(entries.into_iter().map(CronEntryInfo::from).collect()))
}

/// Enable a cron entry on every node; ticks it missed while disabled are not backfilled.
#[utoipa::path(post, path = "/api/cron/{name}/enable", tag = "cron", params(("name" = String, Path)),
    responses((status = 200, body = CronEntryInfo), (status = 404, body = crate::error::ErrorBody)))]
pub async fn enable(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<Json<CronEntryInfo>, ApiError> {
    let status = state.engine.cron_set_enabled(&name, true).await?;
    Ok(Json(status.into()))
}

/// Disable a cron entry on every node: its ticks enqueue nothing until enabled again.
#[utoipa::path(post, path = "/api/cron/{name}/disable", tag = "cron", params(("name" = String, Path)),
    responses((status = 200, body = CronEntryInfo), (status = 404, body = crate::error::ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<Json<CronEntryInfo>, ApiError> {
    let status = state.engine.cron_set_enabled(&name, false).await?;
    Ok(Json(status.into()))
}

/// Enqueue a cron entry's task now, once, outside its schedule (also while
/// it is disabled); its ticks are left as they are. Its `enqueued` event says so.
#[utoipa::path(post, path = "/api/cron/{name}/run", tag = "cron", params(("name" = String, Path)),
    responses((status = 201, body = super::tasks::EnqueuedTask), (status = 404, body = crate::error::ErrorBody)))]
pub async fn run_now(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<(StatusCode, Json<super::tasks::EnqueuedTask>), ApiError> {
    // Entries carry no unique key, so this always creates a task.
    let inserted = state.engine.cron_run_now(&name).await?;
    Ok((StatusCode::CREATED, Json(inserted.into())))
}
