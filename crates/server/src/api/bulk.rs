//! Bulk retry and bulk delete, by id list or by filter.

use axum::Json;
use axum::extract::State;
use rustqueue_core::store::Selection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::filters::FilterParams;
use crate::error::ApiError;
use crate::extract::JsonBody;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(retry_many))
        .routes(routes!(delete_many))
}

/// Which tasks: exactly one of `ids` (at most 10,000), a non-empty `filter`,
/// or `"all": true`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionBody {
    /// These tasks.
    pub ids: Option<Vec<String>>,
    /// Every task matching this filter. Unknown keys answer 422, and so does a
    /// filter that narrows nothing: selecting every task takes `"all": true`.
    pub filter: Option<FilterParams>,
    /// `true` selects every task in the store, running ones included.
    pub all: Option<bool>,
}

const ONE_SELECTION: &str = "give exactly one of ids, filter or \"all\": true";

impl SelectionBody {
    fn into_selection(self) -> Result<Selection, ApiError> {
        match (self.ids, self.filter, self.all) {
            (Some(ids), None, None) => Ok(Selection::Ids(ids)),
            (None, Some(filter), None) => {
                let filter = filter.into_filter().map_err(ApiError::into_unprocessable)?;
                if filter.is_empty() {
                    return Err(ApiError::unprocessable(
                        "the filter narrows nothing, so it would select every task; \
                         send {\"all\": true} to mean every task",
                    ));
                }
                Ok(Selection::Filter(filter))
            }
            (None, None, Some(true)) => Ok(Selection::All),
            (None, None, Some(false)) => Err(ApiError::unprocessable(format!(
                "\"all\": false selects nothing; {ONE_SELECTION}"
            ))),
            _ => Err(ApiError::unprocessable(ONE_SELECTION)),
        }
    }
}

/// What a bulk retry did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRetried {
    /// How many tasks were queued again.
    pub retried: usize,
    /// Their ids.
    pub ids: Vec<String>,
}

/// What a bulk delete did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDeletedResponse {
    /// How many tasks were deleted.
    pub deleted: u64,
}

/// Queue every selected FAILED task again; other tasks are left alone.
#[utoipa::path(post, path = "/api/tasks/bulk/retry", tag = "bulk", request_body = SelectionBody,
    responses((status = 200, body = BulkRetried), (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn retry_many(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SelectionBody>,
) -> Result<Json<BulkRetried>, ApiError> {
    let ids = state.engine.retry_many(&body.into_selection()?).await?;
    Ok(Json(BulkRetried {
        retried: ids.len(),
        ids,
    }))
}

/// Delete every selected task and its history; running attempts are cancelled.
#[utoipa::path(post, path = "/api/tasks/bulk/delete", tag = "bulk", request_body = SelectionBody,
    responses((status = 200, body = BulkDeletedResponse), (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn delete_many(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SelectionBody>,
) -> Result<Json<BulkDeletedResponse>, ApiError> {
    let deleted = state.engine.delete_many(&body.into_selection()?).await?;
    Ok(Json(BulkDeletedResponse {
        deleted: deleted.count,
    }))
}
