//! The OpenAPI document, generated from the Rust types, and the offline docs page.

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;

use super::{AppState, events, tasks};

/// What the document says besides its operations, which come with their
/// routes (`OpenApiRouter`), so a route cannot be served undocumented.
#[derive(OpenApi)]
#[openapi(
    info(title = "RustQueue", description = "A durable task queue. Errors are always `{\"detail\": \"...\"}`."),
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
#[derive(Debug)]
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

/// `/openapi.json` serving `doc`, and the docs page at `/docs`, whose assets
/// are inside the binary.
pub fn routes(doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::from(SwaggerUi::new("/docs").url("/openapi.json", doc))
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
