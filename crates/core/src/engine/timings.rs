//! Histograms of where this node's tasks spend their time, by type and queue:
//! how long a task waited between being ready and an attempt starting, and how
//! long its attempts ran.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the buckets, in seconds, shared by both histograms: from
/// a busy node's few milliseconds of waiting to a backlog of an hour.
pub const BUCKETS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
    3600.0,
];

/// The most (type, queue) series kept: queue names come from clients, so
/// past this many, new queues are counted under [`OTHER_QUEUE`] instead of
/// growing the scrape without bound.
pub const MAX_SERIES: usize = 1_000;

/// The queue label of series past [`MAX_SERIES`].
pub const OTHER_QUEUE: &str = "_other";

/// One histogram: counts per bucket (not cumulative; the last counts what
/// falls past the largest bound), the number of observations and their sum.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Observations per bucket of [`BUCKETS`], plus one for everything larger.
    pub buckets: Vec<u64>,
    /// Observations in all.
    pub count: u64,
    /// Their sum, in seconds.
    pub sum: f64,
}

impl Histogram {
    fn empty() -> Self {
        Self {
            buckets: vec![0; BUCKETS.len() + 1],
            count: 0,
            sum: 0.0,
        }
    }

    fn observe(&mut self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS.partition_point(|bound| *bound < seconds);
        self.buckets[bucket] += 1;
        self.count += 1;
        self.sum += seconds;
    }
}

/// The two histograms of one task type in one queue.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTimings {
    /// The task type.
    pub task_type: String,
    /// The queue, or [`OTHER_QUEUE`].
    pub queue: String,
    /// From ready (enqueued, or its `run_at` when delayed or retried) to an attempt starting.
    pub wait: Histogram,
    /// From an attempt starting to its end, however it ended.
    pub run: Histogram,
}

/// Every series of this node; a short lock per observation, never held
/// across an await.
#[derive(Debug, Default)]
pub(super) struct Timings {
    series: Mutex<HashMap<(String, String), (Histogram, Histogram)>>,
}

/// Which histogram of a series an observation goes to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Phase {
    Wait,
    Run,
}

impl Timings {
    /// Records how long a task of `task_type` in `queue` spent in `phase`.
    pub(super) fn observe(&self, task_type: &str, queue: &str, phase: Phase, took: Duration) {
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut key = (task_type.to_owned(), queue.to_owned());
        if !series.contains_key(&key) && series.len() >= MAX_SERIES {
            key.1 = OTHER_QUEUE.to_owned();
        }
        let (wait, run) = series
            .entry(key)
            .or_insert_with(|| (Histogram::empty(), Histogram::empty()));
        match phase {
            Phase::Wait => wait.observe(took),
            Phase::Run => run.observe(took),
        }
    }

    /// Every series, sorted by type then queue.
    pub(super) fn snapshot(&self) -> Vec<TaskTimings> {
        let series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<TaskTimings> = series
            .iter()
            .map(|((task_type, queue), (wait, run))| TaskTimings {
                task_type: task_type.clone(),
                queue: queue.clone(),
                wait: wait.clone(),
                run: run.clone(),
            })
            .collect();
        all.sort_unstable_by(|a, b| (&a.task_type, &a.queue).cmp(&(&b.task_type, &b.queue)));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_bucket() {
        let timings = Timings::default();
        timings.observe("EMAIL", "mail", Phase::Wait, Duration::from_millis(3));
        timings.observe("EMAIL", "mail", Phase::Wait, Duration::from_millis(10));
        timings.observe("EMAIL", "mail", Phase::Run, Duration::from_secs(7200));
        let all = timings.snapshot();
        assert_eq!(all.len(), 1);
        let wait = &all[0].wait;
        assert_eq!((wait.count, wait.buckets[0], wait.buckets[1]), (2, 1, 1));
        assert!((wait.sum - 0.013).abs() < 1e-9);
        let run = &all[0].run;
        assert_eq!((run.count, run.buckets[BUCKETS.len()]), (1, 1));
    }

    #[test]
    fn queues_past_the_limit_share_one_series() {
        let timings = Timings::default();
        for n in 0..MAX_SERIES + 5 {
            timings.observe("SMS", &format!("q{n}"), Phase::Wait, Duration::ZERO);
        }
        let all = timings.snapshot();
        assert_eq!(all.len(), MAX_SERIES + 1);
        let other = all.iter().find(|t| t.queue == OTHER_QUEUE).expect("other");
        assert_eq!(other.wait.count, 5);
    }
}
