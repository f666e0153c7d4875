//! The leases this worker holds, and the heartbeat that renews them every
//! third of a lease. A lease the server reports lost, or one the worker
//! could not renew before it ran out, stops its attempt: the server will
//! run the task again, so the child must not go on as a second copy.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::protocol::{MAX_PER_HEARTBEAT, Protocol};

/// How often to look before any lease told us the server's lease length.
const FIRST_BEAT: Duration = Duration::from_secs(1);

/// One held lease.
#[derive(Debug)]
struct Held {
    token: String,
    /// Cancelled when the lease is gone; the attempt kills its child.
    lost: CancellationToken,
    /// How long a renewal lasts.
    lease: Duration,
    /// When the lease surely runs out unless renewed: counted from before
    /// the call that took or renewed it, so never later than the server's.
    runs_out: Instant,
}

/// Every lease this worker holds, by task id.
#[derive(Debug, Default)]
pub struct HeldLeases {
    held: Mutex<HashMap<String, Held>>,
    /// The shortest lease seen, which sets the heartbeat period.
    shortest: Mutex<Option<Duration>>,
}

impl HeldLeases {
    /// Records a lease taken at `since` for `lease`; answers the token
    /// cancelled when it is lost.
    pub fn hold(
        &self,
        task_id: &str,
        token: &str,
        lease: Duration,
        since: Instant,
    ) -> CancellationToken {
        let lost = CancellationToken::new();
        let held = Held {
            token: token.to_owned(),
            lost: lost.clone(),
            lease,
            runs_out: since + lease,
        };
        let earlier = self.lock().insert(task_id.to_owned(), held);
        // The same task leased again means the earlier lease was lost.
        if let Some(earlier) = earlier {
            earlier.lost.cancel();
        }
        let mut shortest = self.shortest.lock().unwrap_or_else(|e| e.into_inner());
        *shortest = Some(shortest.map_or(lease, |known| known.min(lease)));
        lost
    }

    /// Forgets a lease once its attempt is over (only that lease, by token).
    pub fn release(&self, task_id: &str, token: &str) {
        let mut held = self.lock();
        if held.get(task_id).is_some_and(|h| h.token == token) {
            held.remove(task_id);
        }
    }

    /// How many leases are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no lease is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        // A panic elsewhere cannot leave the map half-updated: every change is one call.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn heartbeat_period(&self) -> Duration {
        let shortest = *self.shortest.lock().unwrap_or_else(|e| e.into_inner());
        shortest.map_or(FIRST_BEAT, |lease| lease / 3)
    }

    /// The leases to renew, as `(task id, token)`.
    fn snapshot(&self) -> Vec<(String, String)> {
        let held = self.lock();
        held.iter()
            .map(|(id, h)| (id.clone(), h.token.clone()))
            .collect()
    }

    /// Stops the attempt of a lost lease (if it is still this one).
    fn lose(&self, task_id: &str, token: &str) {
        if let Some(held) = self.lock().get(task_id).filter(|h| h.token == token) {
            held.lost.cancel();
        }
    }

    /// Pushes the deadline of renewed leases to `since` + their lease.
    fn renewed(&self, leases: &[(String, String)], since: Instant) {
        let mut held = self.lock();
        for (id, token) in leases {
            if let Some(h) = held.get_mut(id).filter(|h| &h.token == token) {
                h.runs_out = since + h.lease;
            }
        }
    }

    /// Stops the attempts whose lease ran out unrenewed (the server was unreachable).
    fn lose_expired(&self, now: Instant) -> usize {
        let held = self.lock();
        let expired: Vec<_> = held.values().filter(|h| h.runs_out <= now).collect();
        for h in &expired {
            h.lost.cancel();
        }
        expired.len()
    }
}

/// Renews every held lease each third of a lease until `stop`.
pub async fn keep_alive(held: &HeldLeases, protocol: &Protocol, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(held.heartbeat_period()) => {}
            () = stop.cancelled() => return,
        }
        let leases = held.snapshot();
        for chunk in leases.chunks(MAX_PER_HEARTBEAT) {
            let since = Instant::now();
            match protocol.heartbeat(chunk).await {
                Ok(lost) => {
                    held.renewed(chunk, since);
                    // Not logged here: a task completed while this call was
                    // on its way is "lost" too. Its attempt logs a real loss.
                    for id in lost {
                        if let Some((_, token)) = chunk.iter().find(|(held_id, _)| *held_id == id) {
                            held.lose(&id, token);
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!("heartbeat failed: {error}");
                    break;
                }
            }
        }
        let expired = held.lose_expired(Instant::now());
        if expired > 0 {
            tracing::warn!(expired, "leases ran out unrenewed: stopping their commands");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_lost_by_token_and_by_time() {
        let held = HeldLeases::default();
        let start = Instant::now();
        let first = held.hold("a", "1", Duration::from_secs(3), start);
        let second = held.hold("b", "2", Duration::from_secs(30), start);
        assert_eq!(held.heartbeat_period(), Duration::from_secs(1));

        held.lose("a", "stale token");
        assert!(!first.is_cancelled());
        held.renewed(&[("a".into(), "1".into())], start + Duration::from_secs(2));
        assert_eq!(held.lose_expired(start + Duration::from_secs(4)), 0);
        assert_eq!(held.lose_expired(start + Duration::from_secs(5)), 1);
        assert!(first.is_cancelled() && !second.is_cancelled());

        held.release("b", "stale token");
        assert_eq!(held.len(), 2);
        held.release("b", "2");
        assert_eq!(held.snapshot(), vec![("a".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn leasing_a_task_again_stops_the_earlier_attempt() {
        let held = HeldLeases::default();
        let first = held.hold("a", "1", Duration::from_secs(3), Instant::now());
        let again = held.hold("a", "2", Duration::from_secs(3), Instant::now());
        assert!(first.is_cancelled() && !again.is_cancelled());
    }
}
