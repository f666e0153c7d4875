//! Recent throughput: tasks completed and failed per 10-second bucket over
//! the last 15 minutes, kept in memory from the transitions this node
//! publishes (its own and, on a shared store, those relayed from the other
//! nodes), so a dashboard opened now can draw the last 15 minutes at once.

use std::sync::Mutex;

use serde::Serialize;

use crate::task::{EventKind, Timestamp};

/// The width of one bucket, in seconds.
pub const THROUGHPUT_INTERVAL_SECS: u64 = 10;

/// How many buckets are kept: 15 minutes.
const BUCKETS: usize = 90;

/// Completed and failed tasks per bucket, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Throughput {
    /// The width of each bucket, in seconds.
    pub interval_secs: u64,
    /// The last 15 minutes, oldest first, empty buckets included; the last
    /// one is the bucket still filling.
    pub points: Vec<ThroughputPoint>,
}

/// The tasks that finished within one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThroughputPoint {
    /// When the bucket starts.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Tasks that completed in it.
    pub completed: u64,
    /// Tasks that failed for good in it (out of attempts, or permanently).
    pub failed: u64,
}

/// One bucket of the ring: which interval it holds, and its counts.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Seconds since the epoch divided by the interval; 0 when never used.
    index: i64,
    completed: u64,
    failed: u64,
}

/// A ring of buckets, each reused when its interval comes round again.
/// One short lock per completed or failed task; nothing awaits under it.
#[derive(Debug)]
pub(super) struct History {
    ring: Mutex<[Bucket; BUCKETS]>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            ring: Mutex::new([Bucket::default(); BUCKETS]),
        }
    }
}

fn bucket_index(at: Timestamp) -> i64 {
    at.timestamp().div_euclid(THROUGHPUT_INTERVAL_SECS as i64)
}

fn slot(index: i64) -> usize {
    // rem_euclid by BUCKETS is in 0..BUCKETS, so the cast cannot truncate.
    index.rem_euclid(BUCKETS as i64) as usize
}

impl History {
    /// Counts a transition at `at` if it finished a task.
    pub(super) fn record(&self, kind: EventKind, at: Timestamp) {
        if !matches!(kind, EventKind::Completed | EventKind::Failed) {
            return;
        }
        let index = bucket_index(at);
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = &mut ring[slot(index)];
        if bucket.index != index {
            *bucket = Bucket {
                index,
                ..Bucket::default()
            };
        }
        match kind {
            EventKind::Completed => bucket.completed += 1,
            _ => bucket.failed += 1,
        }
    }

    /// The 15 minutes up to `now`, oldest bucket first.
    pub(super) fn snapshot(&self, now: Timestamp) -> Throughput {
        let ring = *self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let last = bucket_index(now);
        let points = (last - BUCKETS as i64 + 1..=last)
            .map(|index| {
                let bucket = ring[slot(index)];
                let live = bucket.index == index;
                ThroughputPoint {
                    at: chrono::DateTime::from_timestamp(
                        index * THROUGHPUT_INTERVAL_SECS as i64,
                        0,
                    )
                    .unwrap_or_default(),
                    completed: if live { bucket.completed } else { 0 },
                    failed: if live { bucket.failed } else { 0 },
                }
            })
            .collect();
        Throughput {
            interval_secs: THROUGHPUT_INTERVAL_SECS,
            points,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn buckets_fill_age_out_and_come_back_empty() {
        let start = chrono::DateTime::from_timestamp(1_000_000_000, 0).expect("a time");
        let history = History::default();
        history.record(EventKind::Completed, start);
        history.record(EventKind::Completed, start + TimeDelta::seconds(9));
        history.record(EventKind::Failed, start + TimeDelta::seconds(10));
        history.record(EventKind::RetryScheduled, start);
        let now = start + TimeDelta::seconds(15);
        let shown = history.snapshot(now);
        assert_eq!(shown.points.len(), 90);
        let last = &shown.points[89];
        assert_eq!(
            (last.at, last.completed, last.failed),
            (start + TimeDelta::seconds(10), 0, 1)
        );
        let before = &shown.points[88];
        assert_eq!((before.at, before.completed, before.failed), (start, 2, 0));
        assert!(
            shown.points[..88]
                .iter()
                .all(|p| p.completed + p.failed == 0)
        );
        assert!(
            shown
                .points
                .windows(2)
                .all(|w| w[1].at - w[0].at == TimeDelta::seconds(10))
        );

        // Once both buckets are over 15 minutes old they are gone, and the
        // failed one's slot is reused for the bucket now filling.
        let later = start + TimeDelta::seconds(910);
        assert!(
            history
                .snapshot(later)
                .points
                .iter()
                .all(|p| p.completed + p.failed == 0)
        );
        history.record(EventKind::Completed, later);
        let shown = history.snapshot(later);
        assert_eq!(shown.points[89].completed, 1);
        assert_eq!(shown.points.iter().map(|p| p.completed).sum::<u64>(), 1);
    }
}
