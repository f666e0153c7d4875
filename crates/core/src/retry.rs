//! When a failed attempt runs again: exponential back-off with jitter.

use std::time::Duration;

use rand::Rng;

/// Exponential back-off with "equal jitter": half the delay is fixed, half random,
/// so retries spread out yet never come sooner than half the nominal delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The nominal delay after the first failed attempt.
    pub base: Duration,
    /// No delay exceeds this.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(600),
        }
    }
}

impl Backoff {
    /// The nominal delay after `attempt` failed attempts (1-based): base × 2^(attempt−1), capped.
    pub fn nominal(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        self.base
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.cap)
    }

    /// The delay to wait, with jitter, after `attempt` failed attempts.
    pub fn delay(&self, attempt: u32) -> Duration {
        let nominal = self.nominal(attempt);
        let half = nominal / 2;
        let jitter_ms = half.as_millis() as u64;
        let jitter = if jitter_ms == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
        };
        half + jitter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominal_doubles_and_caps() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(backoff.nominal(1), Duration::from_millis(100));
        assert_eq!(backoff.nominal(2), Duration::from_millis(200));
        assert_eq!(backoff.nominal(4), Duration::from_millis(800));
        assert_eq!(backoff.nominal(5), Duration::from_secs(1));
        assert_eq!(backoff.nominal(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn jittered_delay_stays_between_half_and_full() {
        let backoff = Backoff::default();
        for attempt in 1..10 {
            let nominal = backoff.nominal(attempt);
            for _ in 0..50 {
                let delay = backoff.delay(attempt);
                assert!(
                    delay >= nominal / 2 && delay <= nominal,
                    "{delay:?} vs {nominal:?}"
                );
            }
        }
    }
}
