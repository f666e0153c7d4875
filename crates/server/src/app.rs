//! The axum application: routes, authentication, CORS, body limit and tracing.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

use crate::api::{self, AppState};
use crate::auth::{ApiToken, require_token};
use crate::error::ApiError;

/// HTTP settings the router needs.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// When set, `/api` needs this bearer token.
    pub api_token: Option<String>,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes.
    pub body_limit: usize,
}

/// Builds the whole router; tests call it directly or serve it on port 0.
pub fn app(state: AppState, settings: &HttpSettings) -> Result<Router, String> {
    // Metrics tell queue names and volumes: they need the token like /api.
    let mut protected = Router::new()
        .nest("/api", api::routes())
        .merge(api::metrics::routes());
    if let Some(token) = settings.api_token.as_deref() {
        protected = protected.route_layer(middleware::from_fn_with_state(
            ApiToken::new(token),
            require_token,
        ));
    }
    Ok(protected
        .merge(api::health::routes())
        .merge(api::openapi::routes())
        .fallback(crate::dashboard::serve)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
            )
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(cors(&settings.cors_origins)?)
        .layer(TraceLayer::new_for_http()))
}

fn cors(origins: &[String]) -> Result<CorsLayer, String> {
    let origins = origins
        .iter()
        .map(|origin| origin.trim())
        .filter(|origin| !origin.is_empty())
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
