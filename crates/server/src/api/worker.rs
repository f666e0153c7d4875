//! The worker protocol over HTTP, so workers in any language can run tasks:
//! lease a batch of tasks of given types, renew the leases while working,
//! then complete each with a result, fail it with an error, or hand it back
//! (at shutdown) without using an attempt. A worker that lost a lease (it
//! expired and was rescued, or the task was deleted) is answered 409 and
//! should drop that attempt. Every call may name the worker (`worker_id`),
//! which is written as the lease holder and listed by `GET /api/workers`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
pub use rustqueue_client::wire::worker::{
    CompleteBody, FailBody, FinishAnswer, FinishBody, FinishManyAnswer, FinishedTask,
    HeartbeatAnswer, HeartbeatBody, HeldLease, LeaseAnswer, LeaseBody, LeasedTask, ReleaseAnswer,
    ReleaseBody,
};
use rustqueue_core::engine::{DEFAULT_WORKER_ID, WorkerFinish, WorkerInfo, WorkerOutcome};
use rustqueue_core::store::{Lease, LeaseToken};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lease))
        .routes(routes!(heartbeat))
        .routes(routes!(complete))
        .routes(routes!(fail))
        .routes(routes!(finish))
        .routes(routes!(release))
}

/// The id a worker gave, or the default for workers that give none.
fn worker_id(given: Option<String>) -> String {
    given.unwrap_or_else(|| DEFAULT_WORKER_ID.to_owned())
}

fn leased(lease: Lease) -> LeasedTask {
    LeasedTask {
        token: lease.token.0.to_string(),
        expires_at: lease.expires_at,
        task: lease.task,
    }
}

fn lease_duration(state: &AppState, lease_ms: Option<u64>) -> Duration {
    lease_ms.map_or_else(|| state.engine.lease_duration(), Duration::from_millis)
}

fn token(text: &str) -> Result<LeaseToken, ApiError> {
    text.parse()
        .map(LeaseToken)
        .map_err(|_| ApiError::unprocessable(format!("invalid lease token {text:?}")))
}

/// Lease up to `limit` ready tasks of the given types; with `wait_ms`, wait
/// for work when none is ready (long polling).
#[utoipa::path(post, path = "/api/worker/lease", tag = "worker", request_body = LeaseBody,
    responses((status = 200, body = LeaseAnswer), (status = 422, body = ErrorBody)))]
pub async fn lease(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LeaseBody>,
) -> Result<Json<LeaseAnswer>, ApiError> {
    let limit = body.limit.unwrap_or(1);
    let lease_for = lease_duration(&state, body.lease_ms);
    let worker = WorkerInfo {
        id: worker_id(body.worker_id),
        hostname: body.hostname,
        pid: body.pid,
        concurrency: body.concurrency,
    };
    let leases = state
        .engine
        .worker_lease_waiting(
            &worker,
            &body.types,
            limit,
            lease_for,
            Duration::from_millis(body.wait_ms.unwrap_or(0)),
        )
        .await?;
    Ok(Json(LeaseAnswer {
        leases: leases.into_iter().map(leased).collect(),
    }))
}

fn held_leases(leases: Vec<HeldLease>) -> Result<Vec<(String, LeaseToken)>, ApiError> {
    leases
        .into_iter()
        .map(|lease| Ok((lease.task_id, token(&lease.token)?)))
        .collect()
}

/// Renew leases; the answer names the ones that were lost.
#[utoipa::path(post, path = "/api/worker/heartbeat", tag = "worker", request_body = HeartbeatBody,
    responses((status = 200, body = HeartbeatAnswer), (status = 422, body = ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<HeartbeatBody>,
) -> Result<Json<HeartbeatAnswer>, ApiError> {
    let held = held_leases(body.leases)?;
    let lease_for = lease_duration(&state, body.lease_ms);
    let worker = worker_id(body.worker_id);
    let lost = state
        .engine
        .worker_heartbeat(&worker, &held, lease_for)
        .await?;
    Ok(Json(HeartbeatAnswer { lost }))
}

/// Complete a leased task.
#[utoipa::path(post, path = "/api/worker/complete", tag = "worker", request_body = CompleteBody,
    responses((status = 200, body = FinishAnswer), (status = 409, body = ErrorBody, description = "the lease is no longer held"),
              (status = 422, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CompleteBody>,
) -> Result<Json<FinishAnswer>, ApiError> {
    let ended = WorkerOutcome::Completed(body.result);
    let worker = worker_id(body.worker_id);
    let status = state
        .engine
        .worker_finish(&worker, &body.task_id, token(&body.token)?, ended)
        .await?;
    Ok(Json(FinishAnswer { status }))
}

/// Fail a leased task; the retry policy decides whether it runs again.
#[utoipa::path(post, path = "/api/worker/fail", tag = "worker", request_body = FailBody,
    responses((status = 200, body = FinishAnswer), (status = 409, body = ErrorBody, description = "the lease is no longer held"),
              (status = 422, body = ErrorBody)))]
pub async fn fail(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<FailBody>,
) -> Result<Json<FinishAnswer>, ApiError> {
    let ended = WorkerOutcome::Failed {
        error: body.error,
        permanent: body.permanent,
    };
    let worker = worker_id(body.worker_id);
    let status = state
        .engine
        .worker_finish(&worker, &body.task_id, token(&body.token)?, ended)
        .await?;
    Ok(Json(FinishAnswer { status }))
}

/// Complete and fail up to 500 leased tasks in one call; leases no longer
/// held are listed in `lost`, the others are recorded together. A malformed
/// entry refuses the whole batch (422) and records nothing.
#[utoipa::path(post, path = "/api/worker/finish", tag = "worker", request_body = FinishBody,
    responses((status = 200, body = FinishManyAnswer), (status = 422, body = ErrorBody)))]
pub async fn finish(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<FinishBody>,
) -> Result<Json<FinishManyAnswer>, ApiError> {
    let completed = body.complete.into_iter().map(|end| {
        let outcome = WorkerOutcome::Completed(end.result);
        (end.task_id, end.token, outcome)
    });
    let failed = body.fail.into_iter().map(|end| {
        let outcome = WorkerOutcome::Failed {
            error: end.error,
            permanent: end.permanent,
        };
        (end.task_id, end.token, outcome)
    });
    let ends = completed
        .chain(failed)
        .map(|(task_id, text, outcome)| {
            Ok(WorkerFinish {
                token: token(&text)?,
                task_id,
                outcome,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let ids: Vec<String> = ends.iter().map(|end| end.task_id.clone()).collect();
    let worker = worker_id(body.worker_id);
    let statuses = state.engine.worker_finish_many(&worker, ends).await?;
    let mut answer = FinishManyAnswer {
        finished: Vec::new(),
        lost: Vec::new(),
    };
    for (task_id, status) in ids.into_iter().zip(statuses) {
        match status {
            Some(status) => answer.finished.push(FinishedTask { task_id, status }),
            None => answer.lost.push(task_id),
        }
    }
    Ok(Json(answer))
}

/// Hand up to 500 leased tasks back, in one call and one store transaction:
/// each is `QUEUED` again with its attempt given back (as the server's own
/// shutdown does), so a worker's restart costs no attempt. A malformed entry
/// refuses the whole batch (422) and records nothing.
#[utoipa::path(post, path = "/api/worker/release", tag = "worker", request_body = ReleaseBody,
    responses((status = 200, body = ReleaseAnswer), (status = 422, body = ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ReleaseBody>,
) -> Result<Json<ReleaseAnswer>, ApiError> {
    let held = held_leases(body.leases)?;
    let worker = worker_id(body.worker_id);
    let delay = Duration::from_millis(body.delay_ms.unwrap_or(0));
    let applied = state
        .engine
        .worker_release_many(&worker, &held, delay)
        .await?;
    let (released, lost): (Vec<_>, Vec<_>) = held
        .into_iter()
        .zip(applied)
        .partition(|(_, applied)| *applied);
    Ok(Json(ReleaseAnswer {
        released: released.into_iter().map(|((id, _), _)| id).collect(),
        lost: lost.into_iter().map(|((id, _), _)| id).collect(),
    }))
}
