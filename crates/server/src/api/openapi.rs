//! The OpenAPI document, generated from the Rust types, and the offline docs page.

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;

use super::{
    AppState, bulk, cron, events, health, jobs, metrics, queues, retention, tasks, throughput,
    worker, workers,
};

/// The whole HTTP API.
#[derive(OpenApi)]
#[openapi(
    info(title = "RustQueue", description = "A durable task queue. Errors are always `{\"detail\": \"...\"}`."),
    paths(
        jobs::enqueue, jobs::list, jobs::show, jobs::retry, jobs::delete, jobs::clear,
        tasks::enqueue, tasks::enqueue_batch, tasks::list, tasks::show, tasks::retry, tasks::delete, tasks::history,
        bulk::retry_many, bulk::delete_many,
        queues::counts, queues::queues, queues::pause, queues::resume, queues::types, retention::show,
        throughput::history,
        cron::list, cron::enable, cron::disable, cron::run_now,
        events::events, health::healthz, health::readyz, metrics::metrics,
        worker::lease, worker::heartbeat, worker::complete, worker::fail, worker::finish,
        worker::release, workers::workers,
    ),
    components(schemas(rustqueue_core::task::TaskStatus, rustqueue_core::task::EventKind, events::TaskTransition, tasks::Order)),
    modifiers(&BearerAuth),
    tags(
        (name = "original", description = "The original PyQueue routes, unchanged"),
        (name = "tasks", description = "Enqueue, list and inspect tasks"),
        (name = "bulk", description = "Retry or delete many tasks at once"),
        (name = "queues", description = "Queues, counts and task types"),
        (name = "cron", description = "Recurring tasks: list, enable, disable"),
        (name = "events", description = "Live updates"),
        (name = "worker", description = "The worker protocol: run tasks from any language"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer token that `/api` needs when the server sets `--api-token`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `/openapi.json` and the docs page at `/docs`, whose assets are inside the binary.
pub fn routes() -> Router<AppState> {
    Router::from(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
        .layer(middleware::map_response(detail_on_not_found))
}

/// Swagger UI answers an unknown file under `/docs/` with an empty 404;
/// every error of this server carries `{"detail": ...}`.
async fn detail_on_not_found(response: Response) -> Response {
    if response.status() == StatusCode::NOT_FOUND {
        return ApiError::not_found("Not Found").into_response();
    }
    response
}
