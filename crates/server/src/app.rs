//! The axum application: routes, authentication, CORS and the cross-site
//! guard, body limit and tracing.

use axum::Extension;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::api::openapi::ApiDoc;
use crate::api::{self, AppState};
use crate::auth::{ApiToken, require_token};
use crate::error::ApiError;
use crate::origin::{AllowedOrigins, refuse_cross_site};
use crate::request_metrics::{RequestMetrics, track};
use crate::telemetry::request_span;

/// HTTP settings the router needs.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// When set, `/api` needs this bearer token.
    pub api_token: Option<String>,
    /// Browser origins allowed to call the API (CORS, and changes from
    /// other sites); the server's own origin always is.
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes.
    pub body_limit: usize,
}

/// Builds the whole router; tests call it directly or serve it on port 0.
pub fn app(state: AppState, settings: &HttpSettings) -> Result<Router, String> {
    let allowed = AllowedOrigins::new(&settings.cors_origins)?;
    let requests = RequestMetrics::default();
    // Metrics tell queue names and volumes: they need the token like /api.
    let mut protected = api::routes().merge(api::metrics::routes());
    if let Some(token) = settings.api_token.as_deref() {
        protected = protected.route_layer(middleware::from_fn_with_state(
            ApiToken::new(token),
            require_token,
        ));
    }
    let (documented, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(protected)
        .merge(api::health::routes())
        .split_for_parts();
    Ok(documented
        .merge(api::openapi::routes(doc))
        .fallback(crate::dashboard::serve)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
            )
        })
        .with_state(state)
        // Inside the router, so the matched route template is known.
        .layer(middleware::from_fn_with_state(requests.clone(), track))
        .layer(Extension(requests))
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(middleware::from_fn_with_state(
            allowed.clone(),
            refuse_cross_site,
        ))
        .layer(cors(&allowed)?)
        .layer(TraceLayer::new_for_http().make_span_with(request_span)))
}

fn cors(allowed: &AllowedOrigins) -> Result<CorsLayer, String> {
    let origins = allowed
        .iter()
        .map(|origin| {
            HeaderValue::from_str(origin).map_err(|_| format!("invalid CORS origin {origin:?}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]))
}
