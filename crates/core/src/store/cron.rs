//! The stored side of cron entries: one record per entry, shared by every
//! node, saying whether it runs and which tick it enqueued last.

use crate::task::{NewTask, Timestamp};

/// A cron entry's shared record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronRecord {
    /// The entry's name (its key).
    pub name: String,
    /// Whether its ticks enqueue tasks.
    pub enabled: bool,
    /// Ticks at or before this time are never due: the record's creation, or
    /// the moment a disabled entry was enabled again.
    pub since: Timestamp,
    /// The last tick that enqueued a task.
    pub last_tick: Option<Timestamp>,
    /// The task that tick enqueued.
    pub last_task_id: Option<String>,
    /// When that task was enqueued.
    pub last_enqueued_at: Option<Timestamp>,
}

impl CronRecord {
    /// A new record: enabled, counting ticks from `now`, never run.
    pub fn new(name: &str, now: Timestamp) -> Self {
        Self {
            name: name.to_owned(),
            enabled: true,
            since: now,
            last_tick: None,
            last_task_id: None,
            last_enqueued_at: None,
        }
    }

    /// The time after which ticks are due: the last tick enqueued, or `since`.
    pub fn due_after(&self) -> Timestamp {
        self.last_tick
            .map_or(self.since, |last| last.max(self.since))
    }
}

/// One tick of a cron entry to enqueue, guarded against other nodes.
#[derive(Debug, Clone)]
pub struct CronFire {
    /// The entry's name.
    pub name: String,
    /// The record's `last_tick` as the caller read it: the tick is enqueued
    /// only if it is still that (compare-and-set), so of the nodes racing for
    /// one tick exactly one wins, and ticks are enqueued in order.
    pub previous: Option<Timestamp>,
    /// The tick being enqueued.
    pub tick: Timestamp,
    /// The task it enqueues (without a unique key: the record is the guard).
    pub task: NewTask,
}
