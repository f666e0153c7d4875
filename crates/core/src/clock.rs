//! The one source of time for the engine and the stores, injectable so tests control it.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};

use crate::task::Timestamp;

/// Tells the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// Wall time that follows tokio's clock, so a test with paused time
/// (`#[tokio::test(start_paused = true)]`) moves timestamps and timers together.
#[derive(Debug, Clone)]
pub struct TokioClock {
    origin_wall: Timestamp,
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that starts at the current wall time.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            origin_wall: Utc::now(),
            origin: tokio::time::Instant::now(),
        })
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        let elapsed = tokio::time::Instant::now() - self.origin;
        // A test never runs long enough for the elapsed time to overflow.
        self.origin_wall + TimeDelta::from_std(elapsed).unwrap_or(TimeDelta::MAX)
    }
}
