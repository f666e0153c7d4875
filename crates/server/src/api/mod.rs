//! The HTTP API, one module per resource.

pub mod bulk;
pub mod cron;
pub mod events;
pub mod filters;
pub mod health;
mod iso_time;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod queues;
pub mod retention;
pub mod tasks;
pub mod throughput;
pub mod worker;
pub mod workers;

use rustqueue_core::Engine;
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The task engine.
    pub engine: Engine,
}

/// The routes under `/api`, with their operations.
pub fn routes() -> OpenApiRouter<AppState> {
    jobs::routes()
        .merge(tasks::routes())
        .merge(bulk::routes())
        .merge(queues::routes())
        .merge(events::routes())
        .merge(worker::routes())
        .merge(workers::routes())
        .merge(cron::routes())
        .merge(retention::routes())
        .merge(throughput::routes())
}
