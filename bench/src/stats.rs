//! Percentiles and medians of measurements.

use std::time::Duration;

/// Latencies, sorted, for percentiles.
#[derive(Debug, Clone, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// Sorts `samples` for percentiles.
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    /// The `p` quantile (0.0–1.0) in milliseconds, nearest rank; 0 when empty.
    pub fn ms(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let rank = (self.0.len() as f64 * p).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1].as_secs_f64() * 1e3
    }

    /// The largest, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.ms(1.0)
    }

    /// "p50 a ms, p99 b ms, max c ms".
    pub fn summary(&self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.ms(0.5),
            self.ms(0.99),
            self.max_ms()
        )
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let latencies = Latencies::new(samples);
        assert_eq!(latencies.ms(0.5), 50.0);
        assert_eq!(latencies.ms(0.99), 99.0);
        assert_eq!(latencies.max_ms(), 100.0);
        assert_eq!(Latencies::default().ms(0.5), 0.0);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
