//! Cron: enqueues each tick of each cron entry exactly once, cluster-wide.
//!
//! Every node computes when the next tick is due and, only then, reads the
//! entries' shared records and offers the tick to the store with a
//! compare-and-set on the record's last tick (`Store::cron_fire`): the
//! record moves and the task is inserted in one transaction, so of the
//! nodes racing for one tick exactly one enqueues it, even if the others
//! look later, after that task already finished. A turn of a periodic job
//! (`periodic_take_turn`, as retention uses) would not be enough: a turn
//! only spaces the job's runs by a period, with slack for drifting nodes,
//! so two turns can both see the same tick due; and the last run must be
//! shared anyway for the API to show it.
//!
//! After downtime, an entry without `backfill` enqueues only its latest
//! due tick, and only if that tick is at most [`MISSED_GRACE`] old (a
//! restart across a tick still runs it); older ticks are skipped. With
//! `backfill`, every missed tick since the last one enqueued is, in order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use super::{Engine, Shared};
use crate::cron::CronEntry;
use crate::error::EngineError;
use crate::store::{
    CronFire, CronFireParams, CronRecord, CronRegisterParams, CronSetEnabledParams, Inserted, Store,
};
use crate::task::{EventKind, TaskStatus, Timestamp};

/// How late a tick may be enqueued by an entry without backfill.
pub const MISSED_GRACE: Duration = Duration::from_secs(60);

/// The most ticks one entry backfills per look; the next look goes on at once.
const BACKFILL_PER_LOOK: usize = 100;

/// The longest the service sleeps between looks at the clock: wall time may
/// jump (or the shared store's clock be re-read) while tokio's timers do not.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// A cron entry with its shared record and its next tick, as the API shows it.
#[derive(Debug, Clone)]
pub struct CronStatus {
    /// The entry as configured.
    pub entry: CronEntry,
    /// Whether it runs, and its last tick.
    pub record: CronRecord,
    /// The next tick it will enqueue; `None` when disabled (or never again).
    pub next_run: Option<Timestamp>,
}

/// Checks the entries at start: unique names, and a request each tick could enqueue.
pub(super) fn validate(shared: &Shared) -> Result<(), EngineError> {
    let mut seen = std::collections::HashSet::new();
    for entry in &shared.config.cron {
        if !seen.insert(entry.name.as_str()) {
            return Err(EngineError::Invalid(format!(
                "two cron entries are named {:?}",
                entry.name
            )));
        }
        if let Err(error) = entry.request().validate(&shared.registry, shared.now()) {
            return Err(EngineError::Invalid(format!(
                "cron entry {:?}: {error}",
                entry.name
            )));
        }
    }
    Ok(())
}

/// Looks whenever a tick is due, until shutdown begins.
pub(super) async fn run(shared: Arc<Shared>) {
    if shared.config.cron.is_empty() {
        return;
    }
    let mut looker = Looker::default();
    loop {
        let now = shared.now();
        if looker.next_look.is_none_or(|at| at <= now) {
            looker.next_look = looker.look(&shared, now).await;
        }
        let wait = looker
            .next_look
            .and_then(|at| (at - shared.now()).to_std().ok())
            .unwrap_or(Duration::ZERO)
            .clamp(Duration::from_millis(1), MAX_SLEEP);
        tokio::select! {
            _ = shared.stopping.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// What the service remembers between looks.
#[derive(Debug, Default)]
struct Looker {
    /// When a tick is next due (`None`: look now).
    next_look: Option<Timestamp>,
    /// Per entry, the latest tick reported as skipped, so each is logged once.
    skipped: HashMap<String, Timestamp>,
}

impl Looker {
    /// Enqueues what is due; returns when to look next.
    async fn look(&mut self, shared: &Shared, now: Timestamp) -> Option<Timestamp> {
        let retry = now + TimeDelta::from_std(MAX_SLEEP).unwrap_or_default();
        let records = match records(shared, now).await {
            Ok(records) => records,
            Err(error) => {
                tracing::warn!(%error, "cannot read the cron entries; trying again");
                return Some(retry);
            }
        };
        let mut more = false;
        for entry in &shared.config.cron {
            match records.get(&entry.name) {
                Some(record) if record.enabled => {
                    more |= self.enqueue_due(shared, entry, record, now).await;
                }
                _ => {}
            }
        }
        let next = (shared.config.cron.iter())
            .filter_map(|entry| entry.schedule.next_after(now))
            .min();
        if more {
            Some(now)
        } else {
            next.or(Some(retry))
        }
    }

    /// Enqueues an entry's due ticks; true when backfill has more to do.
    async fn enqueue_due(
        &mut self,
        shared: &Shared,
        entry: &CronEntry,
        record: &CronRecord,
        now: Timestamp,
    ) -> bool {
        let after = record.due_after();
        if entry.backfill {
            return backfill(shared, entry, record, now).await;
        }
        let Some(tick) = entry
            .schedule
            .latest_at_or_before(now)
            .filter(|t| *t > after)
        else {
            return false;
        };
        let grace = TimeDelta::from_std(MISSED_GRACE).unwrap_or_default();
        if now - tick > grace {
            if self.skipped.insert(entry.name.clone(), tick) != Some(tick) {
                tracing::info!(entry = %entry.name, %tick, "cron ticks missed during downtime were skipped (no backfill)");
            }
            return false;
        }
        fire(shared, entry, record.last_tick, tick, now).await;
        false
    }
}

/// Every record, creating those the configured entries lack.
async fn records(
    shared: &Shared,
    now: Timestamp,
) -> Result<HashMap<String, CronRecord>, EngineError> {
    let mut records: HashMap<String, CronRecord> = (shared.store.cron_list().await?)
        .into_iter()
        .map(|r| (r.name.clone(), r))
        .collect();
    let missing: Vec<String> = (shared.config.cron.iter())
        .filter(|entry| !records.contains_key(&entry.name))
        .map(|entry| entry.name.clone())
        .collect();
    if !missing.is_empty() {
        shared
            .store
            .cron_register(&CronRegisterParams {
                names: missing,
                now,
            })
            .await?;
        records = (shared.store.cron_list().await?)
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
    }
    Ok(records)
}

/// Enqueues missed ticks in order, up to [`BACKFILL_PER_LOOK`]; true when more may be due.
async fn backfill(shared: &Shared, entry: &CronEntry, record: &CronRecord, now: Timestamp) -> bool {
    let mut previous = record.last_tick;
    let mut cursor = record.due_after();
    for _ in 0..BACKFILL_PER_LOOK {
        let Some(tick) = entry.schedule.next_after(cursor).filter(|t| *t <= now) else {
            return false;
        };
        if !fire(shared, entry, previous, tick, now).await {
            // Another node moved the record: it goes on, or the next look does.
            return false;
        }
        previous = Some(tick);
        cursor = tick;
    }
    true
}

/// Offers one tick to the store; true when this node enqueued it.
async fn fire(
    shared: &Shared,
    entry: &CronEntry,
    previous: Option<Timestamp>,
    tick: Timestamp,
    now: Timestamp,
) -> bool {
    let mut request = entry.request();
    request.note = Some(format!(
        "cron entry {}, tick {}",
        entry.name,
        tick.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    ));
    let task = match request.validate(&shared.registry, now) {
        Ok(task) => task,
        Err(error) => {
            tracing::warn!(entry = %entry.name, %error, "cron entry cannot enqueue");
            return false;
        }
    };
    let fire = CronFire {
        name: entry.name.clone(),
        previous,
        tick,
        task,
    };
    match shared.store.cron_fire(CronFireParams { fire, now }).await {
        Ok(Some(task)) => {
            tracing::info!(entry = %entry.name, %tick, task_id = %task.id, "cron enqueued a task");
            shared.work_ready();
            shared.publish(&task.id, EventKind::Enqueued, Some(TaskStatus::Queued));
            true
        }
        Ok(None) => false,
        Err(error) => {
            tracing::warn!(entry = %entry.name, %error, "cron cannot enqueue; the next look tries again");
            false
        }
    }
}

impl Engine {
    /// The configured cron entries with their records and next runs, by name.
    pub async fn cron_entries(&self) -> Result<Vec<CronStatus>, EngineError> {
        let shared = &self.shared;
        let now = shared.now();
        let records = records(shared, now).await?;
        let mut entries: Vec<CronStatus> = (shared.config.cron.iter())
            .map(|entry| {
                let record = (records.get(&entry.name).cloned())
                    .unwrap_or_else(|| CronRecord::new(&entry.name, now));
                status(entry, record, now)
            })
            .collect();
        entries.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
        Ok(entries)
    }

    /// Enqueues the task of the cron entry `name` now, once, outside its
    /// schedule: the entry's ticks and record are left as they are, and it
    /// runs even while the entry is disabled (a person asked for it).
    pub async fn cron_run_now(&self, name: &str) -> Result<Inserted, EngineError> {
        let entry = (self.shared.config.cron.iter())
            .find(|entry| entry.name == name)
            .ok_or_else(|| EngineError::CronNotFound(name.to_owned()))?;
        let mut request = entry.request();
        request.note = Some(format!("cron entry {}, run now", entry.name));
        self.enqueue(request).await
    }

    /// Enables or disables the cron entry `name` on every node.
    pub async fn cron_set_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<CronStatus, EngineError> {
        let shared = &self.shared;
        let entry = (shared.config.cron.iter())
            .find(|entry| entry.name == name)
            .ok_or_else(|| EngineError::CronNotFound(name.to_owned()))?;
        let now = shared.now();
        let record = shared
            .store
            .cron_set_enabled(&CronSetEnabledParams::new(name, enabled, now))
            .await?;
        Ok(status(entry, record, now))
    }
}

fn status(entry: &CronEntry, record: CronRecord, now: Timestamp) -> CronStatus {
    let next_run = if record.enabled {
        entry.schedule.next_after(record.due_after().max(now))
    } else {
        None
    };
    CronStatus {
        entry: entry.clone(),
        record,
        next_run,
    }
}
