//! The retention this server applies, so the dashboard can say how long
//! finished tasks stay.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show))
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
