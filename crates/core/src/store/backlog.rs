//! What a store reports of each queue's waiting work beyond the counters:
//! the `QUEUED` tasks that are not due yet, and the oldest one that is.

use crate::task::Timestamp;

/// One queue's `QUEUED` tasks that are not due at `now`, split by why, and
/// the earliest `run_at` among those that are. The due ones are the
/// counters' `QUEUED` total minus the two counts here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueBacklog {
    /// The queue name.
    pub queue: String,
    /// `run_at` after `now` and never attempted: enqueued for later.
    pub scheduled: u64,
    /// `run_at` after `now` after at least one attempt: waiting out a back-off.
    pub retrying: u64,
    /// The earliest `run_at` at or before `now`; `None` when nothing is due.
    pub oldest_ready_at: Option<Timestamp>,
}
