//! Queue limits in `/metrics`: each limited queue's limits, its running
//! tasks against them, and the ready tasks its concurrency limit holds back,
//! so that an operator can tell a limited queue from a stuck one. Read from
//! the store like the task counts, so they carry `scope="cluster"` too.

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rustqueue_core::engine::QueueInfo;
use rustqueue_core::task::TaskStatus;

use super::{Labels, cluster};

/// The gauges of every queue that has limits; unlimited queues have none.
pub(super) fn register_limits(registry: &mut Registry, queues: &[QueueInfo]) {
    let concurrency = Family::<Labels, Gauge>::default();
    let per_key = Family::<Labels, Gauge>::default();
    let held_back = Family::<Labels, Gauge>::default();
    let key_running = Family::<Labels, Gauge>::default();
    for queue in queues.iter().filter(|q| !q.limits.is_unlimited()) {
        let mut labels = cluster();
        labels.push(("queue", queue.name.clone()));
        let running = queue.counts.get(&TaskStatus::InProgress).copied();
        if let Some(limit) = queue.limits.concurrency {
            concurrency.get_or_create(&labels).set(i64::from(limit));
            let full = running.unwrap_or(0) >= u64::from(limit);
            let held = if full { queue.backlog.ready } else { 0 };
            held_back.get_or_create(&labels).set(saturating(held));
        }
        if let Some(limit) = queue.limits.per_key_limit {
            per_key.get_or_create(&labels).set(i64::from(limit));
        }
        for usage in &queue.busiest_keys {
            let mut labels = labels.clone();
            labels.push(("key", usage.key.clone()));
            key_running
                .get_or_create(&labels)
                .set(saturating(usage.running));
        }
    }
    registry.register(
        "queue_concurrency_limit",
        "The most tasks of a queue that may run at once, cluster-wide; compare with \
         rustqueue_queue_tasks{status=\"INPROGRESS\"}",
        concurrency,
    );
    registry.register(
        "queue_per_key_limit",
        "The most tasks per concurrency key that may run at once in a queue, cluster-wide \
         (named keys may have their own)",
        per_key,
    );
    registry.register(
        "queue_held_back",
        "Ready tasks of a queue that wait because it runs as many tasks as its \
         concurrency limit allows, cluster-wide; 0 while it is under its limit",
        held_back,
    );
    registry.register(
        "queue_key_running",
        "Running tasks of a key-limited queue's busiest concurrency keys (at most ten per \
         queue), cluster-wide",
        key_running,
    );
}

fn saturating(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
