//! Cases for round-robin queues: keys take turns within each priority level
//! (`rustqueue_core::fairness`), in one claim and across claims, with the
//! queue's limits still kept and other queues merged in at their places.

use rustqueue_core::limits::{Fairness, QueueLimits};
use rustqueue_core::store::{Lease, Store};
use rustqueue_core::task::{NewTask, Timestamp};

use crate::fixtures::{SharedStore, claim, insert, now, secs};
use crate::limits::{in_key, limits, set_limits};

fn round_robin(limits: QueueLimits) -> QueueLimits {
    QueueLimits {
        fairness: Some(Fairness::RoundRobin),
        ..limits
    }
}

/// Inserts one task per key in `keys` ('-' for none) into `queue`, a second
/// apart in that order, all due before `now`.
async fn queue_keys(store: &dyn Store, queue: &str, keys: &str, now: Timestamp) {
    for (i, key) in (0..).zip(keys.split(' ')) {
        let key = (key != "-").then_some(key);
        let new = in_key(queue, key, secs(now, i - 100));
        insert(store, new, now).await;
    }
}

/// The keys of `leases` in order, '-' for none.
fn keys(leases: &[Lease]) -> Vec<&str> {
    leases
        .iter()
        .map(|lease| lease.task.concurrency_key.as_deref().unwrap_or("-"))
        .collect()
}

/// A,A,A,B,B,C start as A,B,C,A,B,A in one claim.
pub async fn round_robin_takes_turns_in_one_claim(store: SharedStore) {
    let now = now();
    set_limits(&*store, "tenants", round_robin(QueueLimits::default()), now).await;
    queue_keys(&*store, "tenants", "A A A B B C", now).await;
    let leases = claim(&*store, &["EMAIL"], 10, now, 1).await;
    assert_eq!(keys(&leases), ["A", "B", "C", "A", "B", "A"]);
}

/// Claims of one task at a time give the same order: each claim records
/// which keys it started.
pub async fn round_robin_takes_turns_across_claims(store: SharedStore) {
    let now = now();
    set_limits(&*store, "tenants", round_robin(QueueLimits::default()), now).await;
    queue_keys(&*store, "tenants", "A A A B B C", now).await;
    let mut started = Vec::new();
    for token in 1..=7 {
        let leases = claim(&*store, &["EMAIL"], 1, now, token).await;
        started.extend(keys(&leases).into_iter().map(str::to_owned));
    }
    assert_eq!(started, ["A", "B", "C", "A", "B", "A"]);
}

/// Priority still comes first, tasks without a key take turns as one more
/// key, and the per-key limit still holds.
pub async fn round_robin_keeps_priority_and_limits(store: SharedStore) {
    let now = now();
    let fair = round_robin(limits(None, Some(1), &[]));
    set_limits(&*store, "tenants", fair, now).await;
    queue_keys(&*store, "tenants", "A A - - C", now).await;
    for key in ["B", "B"] {
        let urgent = NewTask {
            priority: 5,
            ..in_key("tenants", Some(key), secs(now, -1))
        };
        insert(&*store, urgent, now).await;
    }
    let leases = claim(&*store, &["EMAIL"], 10, now, 1).await;
    assert_eq!(keys(&leases), ["B", "A", "-", "C", "-"]);
}

/// A claim that merges a round-robin queue with another ends after a prefix
/// of the round-robin order, and records turns only for the keys it started.
pub async fn round_robin_merges_with_other_queues(store: SharedStore) {
    let now = now();
    set_limits(&*store, "tenants", round_robin(QueueLimits::default()), now).await;
    queue_keys(&*store, "tenants", "A A B", now).await;
    // Due between the first A and the B: it takes the second place.
    insert(&*store, in_key("plain", Some("P"), secs(now, -99)), now).await;
    let first = claim(&*store, &["EMAIL"], 2, now, 1).await;
    let queues: Vec<&str> = first.iter().map(|l| l.task.queue.as_str()).collect();
    assert_eq!(
        (keys(&first), queues),
        (vec!["A", "P"], vec!["tenants", "plain"])
    );
    let second = claim(&*store, &["EMAIL"], 2, now, 2).await;
    assert_eq!(
        keys(&second),
        ["B", "A"],
        "B never started, so it goes first"
    );
}

/// Without fairness the queue is back to claim order.
pub async fn removing_fairness_restores_claim_order(store: SharedStore) {
    let now = now();
    set_limits(&*store, "tenants", round_robin(QueueLimits::default()), now).await;
    queue_keys(&*store, "tenants", "A A B", now).await;
    set_limits(&*store, "tenants", QueueLimits::default(), now).await;
    let leases = claim(&*store, &["EMAIL"], 10, now, 1).await;
    assert_eq!(keys(&leases), ["A", "A", "B"]);
}
