//! The live event stream (Server-Sent Events): task transitions as they happen
//! (on a shared store, every node's), and the counts every second. A slow consumer never grows memory: transitions
//! come from a bounded ring; one that falls behind skips ahead and gets `resync`.
//! Every stream ends when the server starts shutting down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use rustqueue_core::Transition;
use rustqueue_core::task::{EventKind, TaskStatus};
use serde::Serialize;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// How often the stream carries the counts.
const COUNTS_EVERY: Duration = Duration::from_secs(1);

/// The routes of this module, each served at the path and method its operation documents.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// The data of a `task` event: one transition.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskTransition {
    /// The task.
    pub task_id: String,
    /// What happened.
    pub kind: EventKind,
    /// Its status now; null when it was deleted.
    pub status: Option<TaskStatus>,
}

/// Live updates as `text/event-stream`. Events: `task` (a [`TaskTransition`]),
/// `counts` (the counts, every second), `resync` (transitions were skipped,
/// because this client fell behind or another node had too many to share
/// one by one; reload what you show).
#[utoipa::path(get, path = "/api/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", description = "task, counts and resync events")))]
pub async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let draining = state.engine.draining();
    let transitions = BroadcastStream::new(state.engine.subscribe()).map(transition_event);
    let resyncs = BroadcastStream::new(state.engine.subscribe_resyncs()).map(|skipped| {
        // A lagged resync feed is itself a resync.
        let skipped = skipped.unwrap_or_else(|BroadcastStreamRecvError::Lagged(n)| n);
        Event::default().event("resync").data(skipped.to_string())
    });
    let counts = stream::unfold(tokio::time::interval(COUNTS_EVERY), move |mut interval| {
        let engine = state.engine.clone();
        async move {
            interval.tick().await;
            let event = match engine.counts().await {
                Ok(counts) => Event::default().event("counts").json_data(&counts).ok(),
                Err(error) => {
                    tracing::warn!(%error, "counts for the event stream failed");
                    None
                }
            };
            Some((event, interval))
        }
    })
    .filter_map(|event| async move { event });
    // The stream ends when the server starts shutting down, or the HTTP
    // drain would wait for it forever; clients reconnect to another node.
    let merged = stream::select(stream::select(transitions, resyncs), counts)
        .map(Ok)
        .take_until(draining);
    Sse::new(merged).keep_alive(KeepAlive::default())
}

fn transition_event(message: Result<Transition, BroadcastStreamRecvError>) -> Event {
    match message {
        Ok(transition) => {
            let data = TaskTransition {
                task_id: transition.task_id,
                kind: transition.kind,
                status: transition.status,
            };
            Event::default()
                .event("task")
                .json_data(&data)
                .unwrap_or_else(|_| Event::default().event("resync").data("0"))
        }
        Err(BroadcastStreamRecvError::Lagged(missed)) => {
            Event::default().event("resync").data(missed.to_string())
        }
    }
}
