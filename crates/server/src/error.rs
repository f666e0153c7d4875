//! API errors: every failure reaches the client as `{"detail": "..."}`.
//! Client errors are not logged; server errors are logged once, without internals in the response.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rustqueue_core::EngineError;
use tracing::Level;

/// The body of every error answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub detail: String,
}

/// An error response with a status code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
    /// Logged when the answer is sent: the one place server errors are logged.
    fault: Option<ServerFault>,
}

impl ApiError {
    /// An error with this status and detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            fault: None,
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 404 Not Found.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 422 Unprocessable Entity (FastAPI's answer to a body that does not validate).
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }

    /// The same error as a 422 when it was a 400: what is a bad query
    /// parameter in a URL is a bad field in a body.
    pub fn into_unprocessable(self) -> Self {
        match self.status {
            StatusCode::BAD_REQUEST => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..self
            },
            _ => self,
        }
    }

    /// The same error as a 400 when it was a 422: a body's field rule, broken
    /// by a query parameter.
    pub fn into_bad_request(self) -> Self {
        match self.status {
            StatusCode::UNPROCESSABLE_ENTITY => Self {
                status: StatusCode::BAD_REQUEST,
                ..self
            },
            _ => self,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        let (status, log) = match &error {
            EngineError::UnknownType { .. } | EngineError::Invalid(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, None)
            }
            // The FastAPI service this API replaces said it so; clients match on it.
            EngineError::NotFound(id) => {
                return Self::not_found(format!("Job {id} not found"));
            }
            EngineError::CronNotFound(_) => (StatusCode::NOT_FOUND, None),
            EngineError::Conflict(_) => (StatusCode::BAD_REQUEST, None),
            EngineError::LeaseLost(_) => (StatusCode::CONFLICT, None),
            EngineError::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, None),
            EngineError::Full(cause) => (
                StatusCode::INSUFFICIENT_STORAGE,
                Some(ServerFault::new(
                    Level::ERROR,
                    cause,
                    "the store's disk is full",
                )),
            ),
            EngineError::Unavailable(cause) => (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(ServerFault::new(Level::WARN, cause, "store unavailable")),
            ),
            EngineError::Store(cause) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(ServerFault::new(Level::ERROR, cause, "store failure")),
            ),
            other => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(ServerFault::new(Level::ERROR, other, "engine failure")),
            ),
        };
        let mut api = Self::new(status, error.to_string());
        api.fault = log;
        api
    }
}

/// A server-side failure behind an answer, logged once when the answer is
/// sent, whatever converted it on the way.
#[derive(Debug)]
struct ServerFault {
    level: Level,
    cause: String,
    what: &'static str,
}

impl ServerFault {
    fn new(level: Level, cause: &dyn std::fmt::Display, what: &'static str) -> Self {
        Self {
            level,
            cause: cause.to_string(),
            what,
        }
    }

    fn log(&self) {
        let (error, what) = (&self.cause, self.what);
        if self.level == Level::WARN {
            tracing::warn!(%error, "{what}");
        } else {
            tracing::error!(%error, "{what}");
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(fault) = &self.fault {
            fault.log();
        }
        (
            self.status,
            Json(ErrorBody {
                detail: self.detail,
            }),
        )
            .into_response()
    }
}

/// The answer to a route that does not exist.
pub async fn route_not_found() -> ApiError {
    ApiError::not_found("Not Found")
}
