//! Liveness and readiness probes, open even when an API token is set.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use rustqueue_core::EngineError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::ApiError;

/// `/healthz` and `/readyz`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "up")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can reach its store and is not shutting down; 503 otherwise,
/// so a load balancer stops sending work to a draining node.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, description = "ready"), (status = 503, body = crate::error::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.engine.is_draining() {
        return Err(EngineError::ShuttingDown.into());
    }
    state.engine.ready().await?;
    Ok(Json(json!({ "status": "ready" })))
}
