//! Who runs tasks: every worker, local (each server node's own pool) and
//! remote, with what each runs now and when each last called in. The
//! running attempts come from the store (`INPROGRESS` tasks by lease
//! holder) and last-seen from small worker records, so every node of a
//! shared store shows every worker.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::TimeDelta;

use super::{Engine, Shared, identity};
use crate::error::EngineError;
use crate::store::{
    Store, TaskListRunningParams, WorkerKind, WorkerListParams, WorkerPruneParams, WorkerRecord,
};
use crate::task::Timestamp;

/// A worker's record is written at most this often per node, unless what it
/// asks for changes: lease and heartbeat calls stay one cheap write per
/// worker per few seconds, whatever their rate.
const RECORD_EVERY: TimeDelta = TimeDelta::seconds(5);

/// Workers unseen this long are forgotten (their records pruned).
pub const WORKER_FORGOTTEN_AFTER: TimeDelta = TimeDelta::hours(1);

/// A remote worker seen this recently counts as live for the types it asked
/// for: a long-polling worker calls in at least every minute, and its
/// record is refreshed at most [`RECORD_EVERY`] late.
pub const WORKER_LIVE_FOR: TimeDelta = TimeDelta::seconds(60);

/// The most running attempts read for one listing of the workers.
const MAX_RUNNING_LISTED: usize = 10_000;

/// When this node last wrote each worker's record, and the types it wrote.
#[derive(Debug, Default)]
pub(super) struct SeenLog(Mutex<HashMap<String, (Timestamp, Vec<String>)>>);

impl SeenLog {
    /// True when `record` should be written now; notes it as written.
    fn due(&self, record: &WorkerRecord) -> bool {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = record.last_seen_at;
        if let Some((at, types)) = log.get(&record.id) {
            let same_types = record.types.is_empty() || *types == record.types;
            if same_types && now - *at < RECORD_EVERY {
                return false;
            }
        }
        if log.len() > 10_000 {
            log.retain(|_, (at, _)| now - *at < RECORD_EVERY);
        }
        let types = match log.remove(&record.id) {
            Some((_, old)) if record.types.is_empty() => old,
            _ => record.types.clone(),
        };
        log.insert(record.id.clone(), (now, types));
        true
    }

    /// Forgets `id`, so its next call writes its record again.
    fn forget(&self, id: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

/// Records that a worker called in, at most every [`RECORD_EVERY`] per node.
/// Best effort: a failed write only leaves its last-seen time behind.
pub(super) async fn note_seen(shared: &Shared, record: WorkerRecord) {
    if !shared.seen.due(&record) {
        return;
    }
    if let Err(error) = shared.store.worker_record(&record).await {
        shared.seen.forget(&record.id);
        tracing::warn!(%error, worker_id = %record.id, "recording a worker's visit failed");
    }
}

/// Records this node as a local worker: its types and its pool size.
pub(super) async fn note_node_seen(shared: &Shared) {
    let record = WorkerRecord {
        id: shared.node_id.clone(),
        kind: WorkerKind::Local,
        types: shared.types.clone(),
        hostname: Some(identity::hostname()),
        pid: Some(std::process::id()),
        concurrency: u32::try_from(shared.config.workers).ok(),
        last_seen_at: shared.now(),
    };
    note_seen(shared, record).await;
}

/// Deletes the records of workers unseen for [`WORKER_FORGOTTEN_AFTER`].
pub(super) async fn prune(shared: &Shared) {
    let before = shared.now() - WORKER_FORGOTTEN_AFTER;
    if let Err(error) = shared
        .store
        .worker_prune(&WorkerPruneParams {
            seen_before: before,
        })
        .await
    {
        tracing::warn!(%error, "pruning worker records failed");
    }
}

/// An attempt a worker runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningAttempt {
    /// The task.
    pub task_id: String,
    /// Its type.
    pub task_type: String,
    /// Its queue.
    pub queue: String,
    /// When the attempt started.
    pub started_at: Option<Timestamp>,
}

/// One worker, local or remote, as [`Engine::workers`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerView {
    /// The worker's id: a remote worker's own, or a node's lease-holder identity.
    pub id: String,
    /// Local (a server node) or remote.
    pub kind: WorkerKind,
    /// The types it asked for last (a node: the types it runs).
    pub types: Vec<String>,
    /// What it runs now, by task id.
    pub running: Vec<RunningAttempt>,
    /// When it last called in; `None` when it holds leases but has no record
    /// (it was forgotten, or leased before records were kept).
    pub last_seen_at: Option<Timestamp>,
    /// How many attempts it runs at once, if it said.
    pub concurrency: Option<u32>,
    /// Its host, if it said.
    pub hostname: Option<String>,
    /// Its process id, if it said.
    pub pid: Option<u32>,
}

impl WorkerView {
    fn from_record(record: WorkerRecord) -> Self {
        Self {
            id: record.id,
            kind: record.kind,
            types: record.types,
            running: Vec::new(),
            last_seen_at: Some(record.last_seen_at),
            concurrency: record.concurrency,
            hostname: record.hostname,
            pid: record.pid,
        }
    }

    fn unrecorded(id: &str) -> Self {
        let kind = if id.starts_with(identity::NODE_HOLDER_PREFIX) {
            WorkerKind::Local
        } else {
            WorkerKind::Remote
        };
        Self {
            kind,
            types: Vec::new(),
            running: Vec::new(),
            last_seen_at: None,
            concurrency: None,
            hostname: None,
            pid: None,
            id: id.to_owned(),
        }
    }
}

/// How a task type is served, for `GET /api/types`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeService {
    /// The type.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Whether this node runs it itself.
    pub local: bool,
    /// How many remote workers asked for it within [`WORKER_LIVE_FOR`].
    pub workers: usize,
}

impl Engine {
    /// Every worker seen within the last hour, and every holder of a running
    /// task: server nodes first, then remote workers, each by id.
    pub async fn workers(&self) -> Result<Vec<WorkerView>, EngineError> {
        let shared = &self.shared;
        note_node_seen(shared).await;
        let now = shared.now();
        let records = shared
            .store
            .worker_list(&WorkerListParams {
                seen_since: now - WORKER_FORGOTTEN_AFTER,
            })
            .await?;
        let mut workers: BTreeMap<(WorkerKind, String), WorkerView> = BTreeMap::new();
        for record in records {
            // Only this process uses an exclusive store: other node records are of dead processes.
            let dead_node = shared.store.is_exclusive()
                && record.kind == WorkerKind::Local
                && record.id != shared.node_id;
            if !dead_node {
                let view = WorkerView::from_record(record);
                workers.insert((view.kind, view.id.clone()), view);
            }
        }
        for lease in self.running_leases().await? {
            let task = lease.task;
            let Some(holder) = task.worker else { continue };
            let view = WorkerView::unrecorded(&holder);
            let worker = workers.entry((view.kind, holder)).or_insert(view);
            worker.running.push(RunningAttempt {
                task_id: task.id,
                task_type: task.task_type,
                queue: task.queue,
                started_at: task.started_at,
            });
        }
        Ok(workers.into_values().collect())
    }

    /// Every known type, whether this node runs it, and how many live remote
    /// workers asked for it.
    pub async fn type_services(&self) -> Result<Vec<TypeService>, EngineError> {
        let shared = &self.shared;
        let live = shared
            .store
            .worker_list(&WorkerListParams {
                seen_since: shared.now() - WORKER_LIVE_FOR,
            })
            .await?;
        let remote: Vec<_> = live
            .iter()
            .filter(|record| record.kind == WorkerKind::Remote)
            .collect();
        Ok(shared
            .registry
            .describe()
            .into_iter()
            .map(|(name, description)| TypeService {
                local: shared.types.contains(&name),
                workers: remote.iter().filter(|r| r.types.contains(&name)).count(),
                name,
                description,
            })
            .collect())
    }

    async fn running_leases(&self) -> Result<Vec<crate::store::Lease>, EngineError> {
        let store = &self.shared.store;
        let mut running = Vec::new();
        loop {
            let after = running
                .last()
                .map(|lease: &crate::store::Lease| lease.task.id.clone());
            let page = store
                .task_list_running(&TaskListRunningParams {
                    after: after.clone(),
                    limit: 500,
                })
                .await?;
            let full = page.len() == 500;
            running.extend(page);
            if !full || running.len() >= MAX_RUNNING_LISTED {
                return Ok(running);
            }
        }
    }
}
