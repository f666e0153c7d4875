//! The HTTP API, one module per resource.

pub mod health;
pub mod jobs;

use axum::Router;
use rustqueue_core::Engine;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The task engine.
    pub engine: Engine,
}

/// The routes under `/api`.
pub fn routes() -> Router<AppState> {
    jobs::routes()
}
