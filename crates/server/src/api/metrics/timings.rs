//! The engine's timing histograms in OpenMetrics: how long tasks waited to
//! start and how long attempts ran, by task type and queue, and how long
//! each kind of store call took, on this node.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use rustqueue_core::engine::{BUCKETS, Histogram, TaskTimings};
use rustqueue_core::store::{STORE_CALL_BUCKETS, StoreCallHistogram};

/// One histogram per series, encoded from a snapshot: the series' labels,
/// its counts per bucket of `bounds` (plus one past the last), count and sum.
#[derive(Debug)]
struct Histograms {
    bounds: &'static [f64],
    series: Vec<(Vec<(&'static str, String)>, Histogram)>,
}

impl EncodeMetric for Histograms {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (labels, histogram) in &self.series {
            let buckets: Vec<(f64, u64)> = self
                .bounds
                .iter()
                .copied()
                .chain(std::iter::once(f64::INFINITY))
                .zip(histogram.buckets.iter().copied())
                .collect();
            encoder
                .encode_family(labels)?
                .encode_histogram::<NoLabelSet>(histogram.sum, histogram.count, &buckets, None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// Registers both histograms of `timings`.
pub(super) fn register_timings(registry: &mut Registry, timings: Vec<TaskTimings>) {
    let mut waits = Vec::with_capacity(timings.len());
    let mut runs = Vec::with_capacity(timings.len());
    for series in timings {
        let labels = vec![("type", series.task_type), ("queue", series.queue)];
        waits.push((labels.clone(), series.wait));
        runs.push((labels, series.run));
    }
    registry.register(
        "task_wait_seconds",
        "Enqueue-to-start latency on this node: from when a task was ready \
         (enqueued, or its run_at when delayed or retried) to its attempt starting, \
         by type and queue",
        Histograms {
            bounds: &BUCKETS,
            series: waits,
        },
    );
    registry.register(
        "attempt_duration_seconds",
        "Attempts this node ran (here or by its remote workers), from start \
         to end however they ended, by type and queue",
        Histograms {
            bounds: &BUCKETS,
            series: runs,
        },
    );
}

/// Registers the duration histogram of every kind of store call made so far.
pub(super) fn register_store_calls(registry: &mut Registry, calls: Vec<StoreCallHistogram>) {
    let series = calls
        .into_iter()
        .map(|call| {
            let histogram = Histogram {
                buckets: call.buckets,
                count: call.count,
                sum: call.sum,
            };
            (vec![("op", call.op.to_owned())], histogram)
        })
        .collect();
    registry.register(
        "store_call_duration_seconds",
        "How long this node's calls to the store took, retries included, by \
         operation (the storage trait's method)",
        Histograms {
            bounds: &STORE_CALL_BUCKETS,
            series,
        },
    );
}
