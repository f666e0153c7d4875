//! API errors: every failure reaches the client as `{"detail": "..."}`.
//! Client errors are not logged; server errors are logged once, without internals in the response.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rustqueue_core::EngineError;

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
}

impl ApiError {
    /// An error with this status and detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
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
            StatusCode::BAD_REQUEST => Self::unprocessable(self.detail),
            _ => self,
        }
    }

    /// The same error as a 400 when it was a 422: a body's field rule, broken
    /// by a query parameter.
    pub fn into_bad_request(self) -> Self {
        match self.status {
            StatusCode::UNPROCESSABLE_ENTITY => Self::bad_request(self.detail),
            _ => self,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        let status = match &error {
            EngineError::UnknownType { .. } | EngineError::Invalid(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            EngineError::NotFound(_) | EngineError::CronNotFound(_) => StatusCode::NOT_FOUND,
            EngineError::Conflict(_) => StatusCode::BAD_REQUEST,
            EngineError::LeaseLost(_) => StatusCode::CONFLICT,
            EngineError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            EngineError::Full(cause) => {
                tracing::error!(error = %cause, "the store's disk is full");
                StatusCode::INSUFFICIENT_STORAGE
            }
            EngineError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "store unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            EngineError::Store(cause) => {
                tracing::error!(error = %cause, "store failure");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Self::new(status, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
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
