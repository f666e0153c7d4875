//! Task filters as clients send them (query string or JSON), and opaque page cursors.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rustqueue_core::store::TaskFilter;
use rustqueue_core::task::TaskStatus;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// Which tasks: every field narrows the selection. An unknown key is refused
/// (a mistyped `status` must not widen a bulk delete to every task).
#[derive(Debug, Clone, Default, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FilterParams {
    /// Only this status, in any letter case.
    pub status: Option<String>,
    /// Only this task type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    #[schema(rename = "type")]
    pub task_type: Option<String>,
    /// Only this queue.
    pub queue: Option<String>,
    /// Only tasks whose id or payload contains this text (ASCII case ignored; 3 characters or more).
    pub q: Option<String>,
    /// Only tasks created at or after this time (ISO-8601).
    #[serde(default, deserialize_with = "super::iso_time::option")]
    pub created_after: Option<DateTime<Utc>>,
    /// Only tasks created before this time (ISO-8601).
    #[serde(default, deserialize_with = "super::iso_time::option")]
    pub created_before: Option<DateTime<Utc>>,
}

impl FilterParams {
    /// The engine's filter; an unknown status answers 400.
    pub fn into_filter(self) -> Result<TaskFilter, ApiError> {
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<TaskStatus>()
                    .map_err(|_| ApiError::bad_request("Invalid status filter"))?,
            ),
        };
        let non_empty = |value: Option<String>| value.filter(|v| !v.is_empty());
        Ok(TaskFilter {
            status,
            task_type: non_empty(self.task_type),
            queue: non_empty(self.queue),
            search: non_empty(self.q),
            created_after: self.created_after,
            created_before: self.created_before,
        })
    }
}

/// Reads the part of a query string that the extractor `T` declares, where
/// the rest belongs to another: the pairs whose key is in `others` are left
/// out, so a key neither declares is refused by `T`'s `deny_unknown_fields`.
/// Answers 400, naming the field, for anything `T` refuses.
pub fn query_part<T: serde::de::DeserializeOwned>(
    query: Option<&str>,
    others: &[&str],
) -> Result<T, ApiError> {
    let part: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !others.contains(&pair.split('=').next().unwrap_or("")))
        .collect();
    let uri = format!("/?{}", part.join("&"))
        .parse()
        .map_err(|_| ApiError::bad_request("the query string is not a valid URI query"))?;
    axum::extract::Query::<T>::try_from_uri(&uri)
        .map(|axum::extract::Query(value)| value)
        .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
}

/// The query keys of [`FilterParams`].
pub const FILTER_KEYS: &[&str] = &[
    "status",
    "type",
    "queue",
    "q",
    "created_after",
    "created_before",
];

/// Makes the cursor a client passes back for the next page.
pub fn encode_cursor(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_id)
}

/// Reads a cursor made by [`encode_cursor`]; anything else answers 400.
/// Cursors hold a task id, which is always a UUID: any other text (say, the
/// base64 of a prefix) would silently give an empty or shifted page.
pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|id| is_task_id(id))
        .ok_or_else(|| {
            ApiError::bad_request("invalid cursor: pass back a page's next_cursor unchanged")
        })
}

/// A task id as the engine makes them: a UUID in its hyphenated lower-case form.
fn is_task_id(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = "01a22045-8a41-766e-9e0b-2dce95490799";
        assert_eq!(decode_cursor(&encode_cursor(id)).expect("valid"), id);
        assert!(decode_cursor("!!not base64").is_err());
        assert!(decode_cursor("").is_err());
        // The base64 of "01a23c", a prefix of an id.
        assert!(decode_cursor("MDFhMjNj").is_err());
        assert!(decode_cursor(&encode_cursor(&id.to_uppercase())).is_err());
    }

    #[test]
    fn status_is_parsed_in_any_case() {
        let params = FilterParams {
            status: Some("failed".into()),
            ..FilterParams::default()
        };
        assert_eq!(
            params.into_filter().expect("valid").status,
            Some(TaskStatus::Failed)
        );
        let bad = FilterParams {
            status: Some("done".into()),
            ..FilterParams::default()
        };
        assert!(bad.into_filter().is_err());
    }
}
