//! `GET /api/throughput`: tasks finished per 10 seconds over the last 15
//! minutes, so a dashboard opened now draws its chart at once.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rustqueue_core::engine::Throughput;

use super::AppState;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/throughput", get(history))
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
