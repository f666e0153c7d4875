//! The attempts running on this node: the one owner of their map, so
//! starting, ending, cancelling and waiting for them cannot disagree.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::store::LeaseToken;

/// An attempt running on this node.
#[derive(Debug)]
struct Running {
    token: LeaseToken,
    cancel: CancellationToken,
}

/// This node's running attempts, by task id.
#[derive(Debug, Default)]
pub(super) struct Attempts {
    running: Mutex<HashMap<String, Running>>,
    /// Signalled whenever the last running attempt ends.
    idle: Notify,
}

impl Attempts {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Running>> {
        // The map stays consistent whatever panicked while it was held.
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an attempt of `task_id` under the lease `token`; the returned
    /// token fires when the attempt is cancelled.
    pub(super) fn start(&self, task_id: &str, token: LeaseToken) -> CancellationToken {
        let cancel = CancellationToken::new();
        let running = Running {
            token,
            cancel: cancel.clone(),
        };
        self.lock().insert(task_id.to_owned(), running);
        cancel
    }

    /// Forgets each attempt whose lease token still matches (a newer attempt
    /// of the same task under another lease stays), and wakes idle waiters
    /// when none is left.
    pub(super) fn end_many<'a>(&self, ended: impl IntoIterator<Item = (&'a str, LeaseToken)>) {
        let mut running = self.lock();
        for (task_id, token) in ended {
            if running.get(task_id).is_some_and(|r| r.token == token) {
                running.remove(task_id);
            }
        }
        if running.is_empty() {
            self.idle.notify_waiters();
        }
    }

    /// Cancels the attempt of `task_id`, if one runs here; true when it did.
    pub(super) fn cancel(&self, task_id: &str) -> bool {
        match self.lock().get(task_id) {
            Some(running) => {
                running.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Cancels every running attempt; returns how many there were.
    pub(super) fn cancel_all(&self) -> usize {
        let running = self.lock();
        running.values().for_each(|r| r.cancel.cancel());
        running.len()
    }

    /// The lease of every running attempt, to renew them.
    pub(super) fn held(&self) -> Vec<(String, LeaseToken)> {
        self.lock()
            .iter()
            .map(|(id, running)| (id.clone(), running.token))
            .collect()
    }

    /// How many attempts run now.
    pub(super) fn count(&self) -> usize {
        self.lock().len()
    }

    /// Waits until no attempt runs, or `limit` passes; true when idle.
    pub(super) async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            // Registered before the check, so an end in between still wakes us.
            let idle = self.idle.notified();
            if self.count() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.count() == 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn an_end_under_an_old_lease_leaves_the_new_attempt() {
        let attempts = Attempts::default();
        attempts.start("t", LeaseToken(1));
        attempts.start("t", LeaseToken(2));
        attempts.end_many([("t", LeaseToken(1))]);
        assert_eq!(attempts.held(), [("t".to_owned(), LeaseToken(2))]);
        attempts.end_many([("t", LeaseToken(2))]);
        assert_eq!(attempts.count(), 0);
    }

    #[test]
    fn cancel_reaches_only_attempts_that_run_here() {
        let attempts = Attempts::default();
        let a = attempts.start("a", LeaseToken(1));
        let b = attempts.start("b", LeaseToken(1));
        assert!(attempts.cancel("a"));
        assert!(!attempts.cancel("missing"));
        assert!(a.is_cancelled() && !b.is_cancelled());
        assert_eq!(attempts.cancel_all(), 2);
        assert!(b.is_cancelled());
        // Cancelled attempts run until they end: they still hold their leases.
        assert_eq!(attempts.count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_idle_ends_with_the_last_attempt_or_the_limit() {
        let attempts = Arc::new(Attempts::default());
        assert!(attempts.wait_idle(Duration::ZERO).await);
        attempts.start("a", LeaseToken(7));
        assert!(!attempts.wait_idle(Duration::from_secs(1)).await);
        let ender = attempts.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            ender.end_many([("a", LeaseToken(7))]);
        });
        assert!(attempts.wait_idle(Duration::from_secs(60)).await);
    }
}
