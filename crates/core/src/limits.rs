//! Flow control: how many of a queue's tasks may run at once, in total and
//! per concurrency key, cluster-wide. A queue's limits live in the store, so
//! every node's claim reads the same ones; [`Room`] is the rule each claim
//! applies, written once for the stores that claim in Rust (the PostgreSQL
//! claim applies the same rule in SQL, and the conformance suite holds all
//! of them to it).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::enqueue::name_problem;

/// The most named keys one queue may give their own limit.
pub const MAX_KEY_LIMITS: usize = 1_000;

/// The most tasks a limit may allow at once.
pub const MAX_LIMIT: u32 = 1_000_000;

/// How a queue's tasks are let run. The default limits nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QueueLimits {
    /// At most this many of the queue's tasks run at once, on every node and
    /// remote worker together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// At most this many tasks of one `concurrency_key` run at once (tasks
    /// without a key are held only by `concurrency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_key_limit: Option<u32>,
    /// Keys with a limit of their own, instead of `per_key_limit` (a paying
    /// tenant gets 10, the rest 2).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub key_limits: BTreeMap<String, u32>,
    /// How the claim orders the queue's ready tasks between keys; absent is
    /// claim order (priority, then `run_at`), as in a queue without limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness: Option<Fairness>,
}

/// How a queue shares its starts between concurrency keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Fairness {
    /// Keys take turns within each priority level: ready tasks queued
    /// A, A, A, B, B, C start as A, B, C, A, B, A (tasks without a key take
    /// their turns as one more key). Priority still comes first.
    RoundRobin,
}

impl Fairness {
    /// The name the API and the stores use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoundRobin => "round_robin",
        }
    }
}

/// Why a set of limits was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LimitsError(pub String);

impl QueueLimits {
    /// True when nothing is limited or reordered: the claim takes the queue's
    /// tasks as if it had no limits.
    pub fn is_unlimited(&self) -> bool {
        self.concurrency.is_none()
            && self.per_key_limit.is_none()
            && self.key_limits.is_empty()
            && self.fairness.is_none()
    }

    /// True when keys take turns (see [`Fairness::RoundRobin`]).
    pub fn is_round_robin(&self) -> bool {
        self.fairness == Some(Fairness::RoundRobin)
    }

    /// True when some key has a limit, so the claim must count running tasks per key.
    pub fn limits_keys(&self) -> bool {
        self.per_key_limit.is_some() || !self.key_limits.is_empty()
    }

    /// The most tasks of `key` that may run at once, if any limit applies.
    pub fn key_limit(&self, key: &str) -> Option<u32> {
        self.key_limits.get(key).copied().or(self.per_key_limit)
    }

    /// Checks every limit: each between 1 and [`MAX_LIMIT`], keys named as
    /// task keys are, at most [`MAX_KEY_LIMITS`] of them. Zero is refused
    /// (pausing the queue says that better).
    pub fn check(&self) -> Result<(), LimitsError> {
        let in_range = |field: &str, limit: u32| {
            if (1..=MAX_LIMIT).contains(&limit) {
                Ok(())
            } else {
                Err(LimitsError(format!(
                    "{field} must be between 1 and {MAX_LIMIT} (pause the queue to run none)"
                )))
            }
        };
        if let Some(limit) = self.concurrency {
            in_range("concurrency", limit)?;
        }
        if let Some(limit) = self.per_key_limit {
            in_range("per_key_limit", limit)?;
        }
        if self.key_limits.len() > MAX_KEY_LIMITS {
            return Err(LimitsError(format!(
                "key_limits names at most {MAX_KEY_LIMITS} keys"
            )));
        }
        for (key, limit) in &self.key_limits {
            if let Some(problem) = name_problem("a key", key) {
                return Err(LimitsError(format!("key_limits: {problem}")));
            }
            in_range(&format!("key_limits[{key:?}]"), *limit)?;
        }
        Ok(())
    }
}

/// The room one claim has in one queue: how many more of its tasks may
/// start, in total and per key, given what runs now. Candidates are offered
/// in claim order; each one [`Room::admit`] accepts takes a place.
#[derive(Debug, Clone)]
pub struct Room<'a> {
    limits: &'a QueueLimits,
    /// How many more may start in the queue (the claim's own limit included).
    left: usize,
    /// Running (and admitted) tasks per key, for the keys that have a limit.
    by_key: HashMap<String, u64>,
}

impl<'a> Room<'a> {
    /// The room in a queue with these limits where `running` tasks run now,
    /// `running_by_key` of them per key, for a claim of at most `wanted`.
    pub fn new(
        limits: &'a QueueLimits,
        running: u64,
        running_by_key: impl IntoIterator<Item = (String, u64)>,
        wanted: usize,
    ) -> Self {
        let queue_left = limits.concurrency.map_or(usize::MAX, |limit| {
            usize::try_from(u64::from(limit).saturating_sub(running)).unwrap_or(usize::MAX)
        });
        Self {
            limits,
            left: wanted.min(queue_left),
            by_key: running_by_key.into_iter().collect(),
        }
    }

    /// How many more tasks may start in the queue.
    pub fn left(&self) -> usize {
        self.left
    }

    /// How many more tasks of `key` may start (bounded by the queue's room).
    pub fn left_for(&self, key: Option<&str>) -> usize {
        let Some(limit) = key.and_then(|key| self.limits.key_limit(key)) else {
            return self.left;
        };
        let running = key
            .and_then(|key| self.by_key.get(key))
            .copied()
            .unwrap_or(0);
        let key_left = u64::from(limit).saturating_sub(running);
        self.left
            .min(usize::try_from(key_left).unwrap_or(usize::MAX))
    }

    /// Takes a place for a task of `key` if the queue and the key have one.
    pub fn admit(&mut self, key: Option<&str>) -> bool {
        if self.left_for(key) == 0 {
            return false;
        }
        self.left -= 1;
        if let Some(key) = key
            && self.limits.key_limit(key).is_some()
        {
            *self.by_key.entry(key.to_owned()).or_default() += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(concurrency: Option<u32>, per_key: Option<u32>, keys: &[(&str, u32)]) -> QueueLimits {
        QueueLimits {
            concurrency,
            per_key_limit: per_key,
            key_limits: keys.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect(),
            fairness: None,
        }
    }

    #[test]
    fn the_queue_limit_counts_what_runs_already() {
        let limits = limits(Some(3), None, &[]);
        let mut room = Room::new(&limits, 2, [], 10);
        assert!(room.admit(None));
        assert!(!room.admit(Some("a")));
        assert_eq!(room.left(), 0);
    }

    #[test]
    fn a_saturated_key_is_skipped_and_others_still_start() {
        let limits = limits(None, Some(1), &[("gold", 3)]);
        let mut room = Room::new(&limits, 1, [("a".to_owned(), 1)], 10);
        assert!(!room.admit(Some("a")), "a runs its one already");
        assert!(room.admit(Some("b")));
        assert!(!room.admit(Some("b")));
        assert!(room.admit(Some("gold")) && room.admit(Some("gold")) && room.admit(Some("gold")));
        assert!(!room.admit(Some("gold")), "gold's own limit is 3");
        assert!(
            room.admit(None),
            "a task with no key is held by the queue limit only"
        );
        assert_eq!(room.left(), 5);
    }

    #[test]
    fn the_claims_own_limit_bounds_the_room() {
        let limits = QueueLimits::default();
        let mut room = Room::new(&limits, 1_000, [], 2);
        assert!(room.admit(Some("a")) && room.admit(Some("a")));
        assert!(!room.admit(Some("b")));
    }

    #[test]
    fn bad_limits_are_refused_with_the_field_named() {
        let zero = limits(Some(0), None, &[]).check().expect_err("refused");
        assert!(zero.0.contains("concurrency"), "{zero}");
        let key = limits(None, Some(2), &[("", 3)])
            .check()
            .expect_err("refused");
        assert!(key.0.contains("key_limits"), "{key}");
        let override_zero = limits(None, Some(2), &[("gold", 0)])
            .check()
            .expect_err("refused");
        assert!(override_zero.0.contains("gold"), "{override_zero}");
        assert!(limits(Some(5), Some(2), &[("gold", 10)]).check().is_ok());
    }

    #[test]
    fn limits_read_as_json_refuse_negatives_and_unknown_fields() {
        let parsed: QueueLimits =
            serde_json::from_str(r#"{"concurrency": 5, "key_limits": {"gold": 10}}"#)
                .expect("parses");
        assert_eq!(parsed, limits(Some(5), None, &[("gold", 10)]));
        assert!(serde_json::from_str::<QueueLimits>(r#"{"concurrency": -1}"#).is_err());
        assert!(serde_json::from_str::<QueueLimits>(r#"{"concurency": 1}"#).is_err());
        assert_eq!(
            serde_json::to_string(&QueueLimits::default()).expect("serialises"),
            "{}"
        );
    }
}
