//! What an enqueue asks for, and its validation into a [`NewTask`]; the
//! engine stores what passes.

use std::time::Duration;

use chrono::TimeDelta;

use crate::error::EngineError;
use crate::handler::Registry;
use crate::task::{NewTask, RawJson, Timestamp, json_depth, new_task_id};
use crate::trace::parse_traceparent;

/// The queue a task goes to when none is named.
pub const DEFAULT_QUEUE: &str = "default";
/// The attempts a task gets when none is named.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The most attempts a task may ask for.
pub const MAX_MAX_RETRIES: u32 = 1_000;
/// The deepest nesting of arrays and objects a payload may have.
pub const MAX_PAYLOAD_DEPTH: usize = 64;
/// The longest queue name, type name or unique key.
pub const MAX_NAME_LEN: usize = 255;

/// A request to enqueue one task; every field but type and payload is optional.
#[derive(Debug, Clone)]
pub struct EnqueueRequest {
    /// The handler name.
    pub task_type: String,
    /// Any JSON value.
    pub payload: RawJson,
    /// Defaults to [`DEFAULT_QUEUE`].
    pub queue: Option<String>,
    /// Defaults to 0; higher runs sooner.
    pub priority: Option<i32>,
    /// The most attempts in total; defaults to [`DEFAULT_MAX_RETRIES`].
    pub max_retries: Option<u32>,
    /// Not before this time (exclusive with `delay`).
    pub run_at: Option<Timestamp>,
    /// Not before now + this delay (exclusive with `run_at`).
    pub delay: Option<Duration>,
    /// At most one unfinished task holds a key.
    pub unique_key: Option<String>,
    /// Per-attempt timeout in milliseconds; defaults to the server's.
    pub timeout_ms: Option<u64>,
    /// The key the queue's per-key limit counts the task under.
    pub concurrency_key: Option<String>,
    /// The W3C `traceparent` of the enqueuing request; a malformed one is dropped.
    pub traceparent: Option<String>,
    /// The message of the task's `enqueued` event (what made it); none by default.
    pub note: Option<String>,
}

impl EnqueueRequest {
    /// A request with every optional field left to its default.
    pub fn new(task_type: impl Into<String>, payload: RawJson) -> Self {
        Self {
            task_type: task_type.into(),
            payload,
            queue: None,
            priority: None,
            max_retries: None,
            run_at: None,
            delay: None,
            unique_key: None,
            timeout_ms: None,
            concurrency_key: None,
            traceparent: None,
            note: None,
        }
    }

    /// Checks every field and fills in defaults.
    pub fn validate(self, registry: &Registry, now: Timestamp) -> Result<NewTask, EngineError> {
        if !registry.knows(&self.task_type) {
            return Err(EngineError::UnknownType {
                task_type: self.task_type,
                known: registry.known_types(),
            });
        }
        let queue = self.queue.unwrap_or_else(|| DEFAULT_QUEUE.to_owned());
        check_name("queue", &queue)?;
        if let Some(key) = &self.unique_key {
            check_name("unique_key", key)?;
        }
        if let Some(key) = &self.concurrency_key {
            check_name("concurrency_key", key)?;
        }
        let max_retries = self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        if !(1..=MAX_MAX_RETRIES).contains(&max_retries) {
            return Err(invalid(format!(
                "max_retries must be between 1 and {MAX_MAX_RETRIES}"
            )));
        }
        if json_depth(self.payload.get()) > MAX_PAYLOAD_DEPTH {
            return Err(invalid(format!(
                "payload nests deeper than {MAX_PAYLOAD_DEPTH} levels"
            )));
        }
        if self.timeout_ms == Some(0) {
            return Err(invalid("timeout_ms must be at least 1".into()));
        }
        let run_at = match (self.run_at, self.delay) {
            (Some(_), Some(_)) => {
                return Err(invalid("give either run_at or a delay, not both".into()));
            }
            (Some(at), None) => at,
            (None, Some(delay)) => TimeDelta::from_std(delay)
                .ok()
                .and_then(|delay| now.checked_add_signed(delay))
                .ok_or_else(|| invalid("delay is too long".into()))?,
            (None, None) => now,
        };
        Ok(NewTask {
            id: new_task_id(),
            task_type: self.task_type,
            payload: self.payload,
            queue,
            priority: self.priority.unwrap_or(0),
            max_retries,
            run_at,
            unique_key: self.unique_key,
            timeout_ms: self.timeout_ms,
            concurrency_key: self.concurrency_key,
            traceparent: self.traceparent.as_deref().and_then(parse_traceparent),
            note: self.note,
        })
    }
}

fn invalid(message: String) -> EngineError {
    EngineError::Invalid(message)
}

fn check_name(field: &str, value: &str) -> Result<(), EngineError> {
    name_problem(field, value).map_or(Ok(()), |problem| Err(invalid(problem)))
}

/// What is wrong with a name (a queue, a key): empty, longer than
/// [`MAX_NAME_LEN`] bytes, or holding control characters.
pub(crate) fn name_problem(field: &str, value: &str) -> Option<String> {
    if value.is_empty() || value.len() > MAX_NAME_LEN {
        return Some(format!("{field} must be 1 to {MAX_NAME_LEN} bytes long"));
    }
    if value.chars().any(char::is_control) {
        return Some(format!("{field} must not contain control characters"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::register_demo_types;
    use crate::clock::{Clock, SystemClock};
    use serde_json::value::RawValue;

    fn request(task_type: &str) -> EnqueueRequest {
        EnqueueRequest::new(
            task_type,
            RawValue::from_string("\"hi\"".into()).expect("valid JSON"),
        )
    }

    fn registry() -> Registry {
        let mut registry = Registry::new();
        register_demo_types(&mut registry, 1.0);
        registry
    }

    #[test]
    fn unknown_type_lists_the_known_ones() {
        let error = request("NOPE")
            .validate(&registry(), SystemClock.now())
            .expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("\"NOPE\"")
                && message.contains("EMAIL")
                && message.contains("FAILABS")
        );
    }

    #[test]
    fn defaults_are_filled_in() {
        let now = SystemClock.now();
        let task = request("EMAIL").validate(&registry(), now).expect("valid");
        assert_eq!(
            (
                task.queue.as_str(),
                task.priority,
                task.max_retries,
                task.run_at
            ),
            ("default", 0, 3, now)
        );
    }

    #[test]
    fn out_of_range_fields_are_refused() {
        let now = SystemClock.now();
        let cases = [
            EnqueueRequest {
                max_retries: Some(0),
                ..request("EMAIL")
            },
            EnqueueRequest {
                queue: Some(String::new()),
                ..request("EMAIL")
            },
            EnqueueRequest {
                queue: Some("a\0b".into()),
                ..request("EMAIL")
            },
            EnqueueRequest {
                unique_key: Some("k".repeat(300)),
                ..request("EMAIL")
            },
            EnqueueRequest {
                timeout_ms: Some(0),
                ..request("EMAIL")
            },
            EnqueueRequest {
                delay: Some(Duration::MAX),
                ..request("EMAIL")
            },
            EnqueueRequest {
                delay: Some(Duration::ZERO),
                run_at: Some(now),
                ..request("EMAIL")
            },
        ];
        for case in cases {
            assert!(
                matches!(
                    case.clone().validate(&registry(), now),
                    Err(EngineError::Invalid(_))
                ),
                "{case:?}"
            );
        }
    }

    #[test]
    fn delay_sets_run_at() {
        let now = SystemClock.now();
        let req = EnqueueRequest {
            delay: Some(Duration::from_secs(5)),
            ..request("SMS")
        };
        let task = req.validate(&registry(), now).expect("valid");
        assert_eq!(task.run_at - now, TimeDelta::seconds(5));
    }
}
