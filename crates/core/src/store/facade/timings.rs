//! How long each kind of store call took: one histogram per kind, updated
//! without a lock, since every claim and finish passes through it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::Op;

/// Upper bounds of the buckets, in seconds: from an in-memory read to a
/// claim waiting out a busy database.
pub const STORE_CALL_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// One kind's histogram, as counted so far.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreCallHistogram {
    /// The kind of call (the trait method's name).
    pub op: &'static str,
    /// Calls per bucket of [`STORE_CALL_BUCKETS`] (not cumulative), plus one
    /// for everything slower.
    pub buckets: Vec<u64>,
    /// Calls in all.
    pub count: u64,
    /// Their total duration, in seconds.
    pub sum: f64,
}

#[derive(Debug, Default)]
struct Series {
    buckets: [AtomicU64; STORE_CALL_BUCKETS.len() + 1],
    count: AtomicU64,
    nanos: AtomicU64,
}

/// The histograms of every kind of call.
#[derive(Debug)]
pub struct StoreCallTimings {
    series: Vec<Series>,
}

impl Default for StoreCallTimings {
    fn default() -> Self {
        Self {
            series: Op::ALL.iter().map(|_| Series::default()).collect(),
        }
    }
}

impl StoreCallTimings {
    /// Counts one call of `op` that took `took`.
    pub(super) fn observe(&self, op: Op, took: Duration) {
        let series = &self.series[op.index()];
        let seconds = took.as_secs_f64();
        let bucket = STORE_CALL_BUCKETS.partition_point(|bound| *bound < seconds);
        series.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        series.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        series.nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Every kind called at least once, in the trait's order.
    pub fn snapshot(&self) -> Vec<StoreCallHistogram> {
        Op::ALL
            .iter()
            .zip(&self.series)
            .filter(|(_, series)| series.count.load(Ordering::Relaxed) > 0)
            .map(|(op, series)| StoreCallHistogram {
                op: op.name(),
                buckets: series
                    .buckets
                    .iter()
                    .map(|bucket| bucket.load(Ordering::Relaxed))
                    .collect(),
                count: series.count.load(Ordering::Relaxed),
                sum: series.nanos.load(Ordering::Relaxed) as f64 / 1e9,
            })
            .collect()
    }
}
