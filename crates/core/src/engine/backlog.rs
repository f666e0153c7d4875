//! How much queued work is ready now, and how much waits for a later time:
//! `QUEUED` tasks told apart as ready (due), scheduled (enqueued for later)
//! and retrying (waiting out a back-off), like Sidekiq's Enqueued, Scheduled
//! and Retries.

use std::collections::BTreeMap;

use serde::Serialize;

use super::admin::StatusCounts;
use crate::store::QueueBacklog;
use crate::task::{TaskStatus, Timestamp};

/// `QUEUED` tasks by whether they can start now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backlog {
    /// Due now (`run_at` reached): a worker could start them at once.
    pub ready: u64,
    /// Enqueued for later and never attempted (`run_at` in the future).
    pub scheduled: u64,
    /// Attempted before and waiting out a retry back-off (`run_at` in the future).
    pub retrying: u64,
    /// The `run_at` of the ready task that has waited longest; null when none is ready.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub oldest_ready_at: Option<Timestamp>,
}

impl Backlog {
    /// This backlog and `other` together.
    fn add(&mut self, other: &Backlog) {
        self.ready += other.ready;
        self.scheduled += other.scheduled;
        self.retrying += other.retrying;
        self.oldest_ready_at = match (self.oldest_ready_at, other.oldest_ready_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// How long the oldest ready task has waited at `now`, in milliseconds;
    /// `None` when nothing is ready.
    pub fn lag_ms(&self, now: Timestamp) -> Option<u64> {
        let waited = now - self.oldest_ready_at?;
        Some(u64::try_from(waited.num_milliseconds()).unwrap_or(0))
    }
}

/// Every queue of `by_queue` with its backlog, and all of them together.
///
/// The counters give each queue's `QUEUED` total; the store's backlog read
/// gives the not-yet-due part (the minority), so ready is the difference.
/// The two reads are not one snapshot: a transition between them can make
/// the difference briefly off by the tasks it moved, never negative.
pub(super) fn backlogs(
    by_queue: &BTreeMap<String, StatusCounts>,
    later: Vec<QueueBacklog>,
) -> (Backlog, BTreeMap<String, Backlog>) {
    let mut queues: BTreeMap<String, Backlog> = by_queue
        .keys()
        .map(|queue| (queue.clone(), Backlog::default()))
        .collect();
    for row in later {
        let backlog = queues.entry(row.queue).or_default();
        backlog.scheduled = row.scheduled;
        backlog.retrying = row.retrying;
        backlog.oldest_ready_at = row.oldest_ready_at;
    }
    let mut total = Backlog::default();
    for (queue, backlog) in &mut queues {
        let queued = by_queue
            .get(queue)
            .and_then(|counts| counts.get(&TaskStatus::Queued))
            .copied()
            .unwrap_or(0);
        backlog.ready = queued.saturating_sub(backlog.scheduled + backlog.retrying);
        if backlog.ready == 0 {
            backlog.oldest_ready_at = None;
        }
        total.add(backlog);
    }
    (total, queues)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn ready_is_what_the_counters_queue_beyond_the_later_tasks() {
        let now = chrono::Utc::now();
        let counts = |queued: u64| -> StatusCounts { [(TaskStatus::Queued, queued)].into() };
        let by_queue = [
            ("a".to_owned(), counts(5)),
            ("b".to_owned(), counts(1)),
            ("c".to_owned(), counts(0)),
        ]
        .into();
        let later = vec![
            QueueBacklog {
                queue: "a".into(),
                scheduled: 2,
                retrying: 1,
                oldest_ready_at: Some(now - TimeDelta::seconds(3)),
            },
            QueueBacklog {
                queue: "b".into(),
                scheduled: 1,
                retrying: 0,
                oldest_ready_at: None,
            },
        ];
        let (total, queues) = backlogs(&by_queue, later);
        assert_eq!(
            (queues["a"].ready, queues["b"].ready, queues["c"].ready),
            (2, 0, 0)
        );
        assert_eq!(queues["a"].lag_ms(now), Some(3000));
        assert_eq!(queues["b"].lag_ms(now), None);
        assert_eq!(
            total,
            Backlog {
                ready: 2,
                scheduled: 3,
                retrying: 1,
                oldest_ready_at: Some(now - TimeDelta::seconds(3)),
            }
        );
    }
}
