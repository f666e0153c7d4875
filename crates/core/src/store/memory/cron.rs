//! The memory store's cron records.

use super::state::State;
use crate::store::{CronFire, CronRecord};
use crate::task::{Task, Timestamp};

impl State {
    pub(super) fn cron_register(&mut self, names: &[String], now: Timestamp) {
        for name in names {
            self.cron
                .entry(name.clone())
                .or_insert_with(|| CronRecord::new(name, now));
        }
    }

    pub(super) fn cron_set_enabled(
        &mut self,
        name: &str,
        enabled: bool,
        now: Timestamp,
    ) -> CronRecord {
        let record = self
            .cron
            .entry(name.to_owned())
            .or_insert_with(|| CronRecord::new(name, now));
        if enabled && !record.enabled {
            record.since = now;
        }
        record.enabled = enabled;
        record.clone()
    }

    pub(super) fn cron_fire(&mut self, fire: CronFire, now: Timestamp) -> Option<Task> {
        let record = self.cron.get_mut(&fire.name)?;
        if !record.enabled || record.last_tick != fire.previous || fire.tick <= record.since {
            return None;
        }
        record.last_tick = Some(fire.tick);
        record.last_task_id = Some(fire.task.id.clone());
        record.last_enqueued_at = Some(now);
        Some(self.insert(fire.task, now).task)
    }
}
