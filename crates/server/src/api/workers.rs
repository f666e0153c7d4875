//! Who runs tasks: every worker, local (each server node) and remote, with
//! what each runs now and when each last called in.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rustqueue_core::engine::{RunningAttempt, WorkerView};
use rustqueue_core::store::WorkerKind;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::ApiError;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(workers))
}

/// Whether a worker is a server node or a remote process.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A server node running tasks itself (its whole pool is one worker).
    Local,
    /// A process using the worker protocol.
    Remote,
}

/// An attempt a worker runs now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunningTask {
    /// The task.
    pub task_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Its queue.
    pub queue: String,
    /// When the attempt started.
    pub started_at: Option<DateTime<Utc>>,
}

/// One worker.
#[derive(Debug, Serialize, ToSchema)]
pub struct Worker {
    /// A remote worker's own id, or a node's `node:<hostname>:<pid>:<start id>`.
    pub id: String,
    /// `local` (a server node) or `remote`.
    pub kind: Kind,
    /// The task types it asked for last (a node: the types it runs).
    pub types: Vec<String>,
    /// What it runs now.
    pub running: Vec<RunningTask>,
    /// When it last called in; null for a holder of running tasks with no
    /// record (unseen for an hour, or leased before records were kept).
    pub last_seen_at: Option<DateTime<Utc>>,
    /// How many attempts it runs at once, when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Its host, when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Its process id, when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

fn running(attempt: RunningAttempt) -> RunningTask {
    RunningTask {
        task_id: attempt.task_id,
        task_type: attempt.task_type,
        queue: attempt.queue,
        started_at: attempt.started_at,
    }
}

fn worker(view: WorkerView) -> Worker {
    Worker {
        kind: match view.kind {
            WorkerKind::Local => Kind::Local,
            WorkerKind::Remote => Kind::Remote,
        },
        running: view.running.into_iter().map(running).collect(),
        id: view.id,
        types: view.types,
        last_seen_at: view.last_seen_at,
        concurrency: view.concurrency,
        hostname: view.hostname,
        pid: view.pid,
    }
}

/// Every worker seen within the last hour and every holder of a running
/// task, across all nodes of a shared store: server nodes first, then
/// remote workers, each by id.
#[utoipa::path(get, path = "/api/workers", tag = "worker", responses((status = 200, body = Vec<Worker>)))]
pub async fn workers(State(state): State<AppState>) -> Result<Json<Vec<Worker>>, ApiError> {
    let views = state.engine.workers().await?;
    Ok(Json(views.into_iter().map(worker).collect()))
}
