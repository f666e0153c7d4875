//! Queue limits as the engine sees them: applied from the configuration at
//! start, changed at run time, and watched so that finishes wake the
//! claimants that a limit held back.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Engine, Shared};
use crate::enqueue::name_problem;
use crate::error::EngineError;
use crate::limits::QueueLimits;
use crate::store::{KeyUsage, QueueKeyUsageParams, QueueSetLimitsParams, Store};

/// How often the engine looks whether any queue has limits (other nodes
/// change them too).
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// The most keys [`Engine::queue_key_usage`] lists.
pub const MAX_KEY_USAGE: usize = 100;

/// Checks a queue's name and limits as the API and the configuration take them.
pub fn check_queue_limits(name: &str, limits: &QueueLimits) -> Result<(), EngineError> {
    if let Some(problem) = name_problem("a queue name", name) {
        return Err(EngineError::Invalid(problem));
    }
    limits
        .check()
        .map_err(|error| EngineError::Invalid(format!("queue {name:?}: {error}")))
}

impl Engine {
    /// Replaces a queue's limits; every node's next claim keeps them. The
    /// default limits remove them.
    pub async fn set_queue_limits(
        &self,
        name: &str,
        limits: QueueLimits,
    ) -> Result<(), EngineError> {
        check_queue_limits(name, &limits)?;
        set_limits(&self.shared, name, limits).await?;
        // A raised limit may let held-back tasks start now.
        self.shared.work_ready();
        Ok(())
    }

    /// The keys of a queue's running tasks, the busiest first.
    pub async fn queue_key_usage(
        &self,
        queue: &str,
        limit: usize,
    ) -> Result<Vec<KeyUsage>, EngineError> {
        let params = QueueKeyUsageParams {
            queue: queue.to_owned(),
            limit: limit.min(MAX_KEY_USAGE),
        };
        Ok(self.shared.store.queue_key_usage(&params).await?)
    }
}

async fn set_limits(shared: &Shared, name: &str, limits: QueueLimits) -> Result<(), EngineError> {
    if !limits.is_unlimited() {
        shared.limited.store(true, Ordering::Relaxed);
    }
    let params = QueueSetLimitsParams {
        name: name.to_owned(),
        limits,
        now: shared.now(),
    };
    Ok(shared.store.queue_set_limits(&params).await?)
}

/// Checks and stores the limits the configuration names, before any claim.
pub(super) async fn apply_configured(
    shared: &Shared,
    configured: &BTreeMap<String, QueueLimits>,
) -> Result<(), EngineError> {
    for (name, limits) in configured {
        check_queue_limits(name, limits)?;
    }
    for (name, limits) in configured {
        set_limits(shared, name, limits.clone()).await?;
    }
    refresh(shared).await;
    Ok(())
}

/// Keeps `shared.limited` true while any queue has limits.
pub(super) async fn watch(shared: std::sync::Arc<Shared>) {
    loop {
        tokio::select! {
            _ = shared.stopping.cancelled() => return,
            () = tokio::time::sleep(WATCH_EVERY) => refresh(&shared).await,
        }
    }
}

async fn refresh(shared: &Shared) {
    match shared.store.queue_list().await {
        Ok(queues) => {
            let limited = queues.iter().any(|queue| !queue.limits.is_unlimited());
            shared.limited.store(limited, Ordering::Relaxed);
        }
        Err(error) => tracing::debug!(%error, "reading the queues' limits failed"),
    }
}
