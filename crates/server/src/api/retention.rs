//! The retention this server applies, so the dashboard can say how long
//! finished tasks stay.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/retention", get(show))
}

/// How long finished tasks are kept (`--completed-retention-secs`, `--failed-retention-secs`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionInfo {
    /// Seconds a COMPLETED task is kept after it finished; null keeps it forever.
    pub completed_secs: Option<u64>,
    /// Seconds a FAILED task is kept after it finished; null keeps it forever.
    pub failed_secs: Option<u64>,
}

/// How long this server keeps finished tasks.
#[utoipa::path(get, path = "/api/retention", tag = "queues", responses((status = 200, body = RetentionInfo)))]
pub async fn show(State(state): State<AppState>) -> Json<RetentionInfo> {
    let retention = state.engine.retention();
    Json(RetentionInfo {
        completed_secs: retention.completed.map(|d| d.as_secs()),
        failed_secs: retention.failed.map(|d| d.as_secs()),
    })
}
