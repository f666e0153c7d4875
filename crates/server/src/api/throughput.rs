//! `GET /api/throughput`: tasks finished per 10 seconds over the last 15
//! minutes, so a dashboard opened now draws its chart at once.

use axum::Json;
use axum::extract::State;
use rustqueue_core::engine::Throughput;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(history))
}

/// Tasks completed and failed per 10-second bucket over the last 15 minutes,
/// oldest first, empty buckets included. Kept in this node's memory from the
/// transitions it sees (on PostgreSQL, those of every node), so it starts
/// empty when the node starts.
#[utoipa::path(get, path = "/api/throughput", tag = "queues",
    responses((status = 200, body = Throughput)))]
pub async fn history(State(state): State<AppState>) -> Json<Throughput> {
    Json(state.engine.throughput())
}
