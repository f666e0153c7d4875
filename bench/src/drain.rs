//! Timing a drain: from the first engine's start until `tasks` distinct tasks
//! are committed `COMPLETED`, however many engines share the store.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rustqueue_core::Engine;
use rustqueue_core::task::{EventKind, TaskStatus, Transition};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::UnboundedSender;

use crate::BenchResult;

/// What a completion feed tells the drain timer.
enum Progress {
    /// This task's completion is committed.
    Completed(String),
    /// The feed lagged: the store's (cluster-wide) count of completed tasks.
    Recount(u64),
    /// The feed failed.
    Failed(String),
}

/// Starts every engine and waits until `tasks` distinct tasks are completed;
/// returns the time from the first start to the last committed completion.
///
/// On a shared store every engine also publishes the transitions the other
/// nodes relay to it, so one completion reaches several feeds: counting
/// distinct task ids (or, after a lag, the store's counter) counts it once.
pub async fn time_drain(engines: &[Engine], tasks: usize) -> BenchResult<Duration> {
    let (progress_tx, mut progress) = tokio::sync::mpsc::unbounded_channel();
    for engine in engines {
        // Subscribe before any engine starts, so no completion is missed.
        let feed = engine.subscribe();
        tokio::spawn(follow(engine.clone(), feed, progress_tx.clone()));
    }
    drop(progress_tx);
    let started = Instant::now();
    for engine in engines {
        engine.start().await?;
    }
    let mut completed = HashSet::with_capacity(tasks);
    let mut recounted = 0u64;
    while completed.len().max(recounted as usize) < tasks {
        match progress.recv().await {
            Some(Progress::Completed(id)) => {
                completed.insert(id);
            }
            Some(Progress::Recount(count)) => recounted = recounted.max(count),
            Some(Progress::Failed(error)) => return Err(error.into()),
            None => return Err("every completion feed closed before the drain ended".into()),
        }
    }
    Ok(started.elapsed())
}

/// Forwards the completions `engine` publishes (only after their commit).
async fn follow(
    engine: Engine,
    mut feed: Receiver<Transition>,
    progress: UnboundedSender<Progress>,
) {
    loop {
        let update = match feed.recv().await {
            Ok(transition) if transition.kind == EventKind::Completed => {
                Progress::Completed(transition.task_id)
            }
            Ok(_) => continue,
            Err(RecvError::Lagged(_)) => match engine.counts().await {
                Ok(counts) => Progress::Recount(
                    counts
                        .by_status
                        .get(&TaskStatus::Completed)
                        .copied()
                        .unwrap_or(0),
                ),
                Err(error) => Progress::Failed(format!("counts: {error}")),
            },
            Err(RecvError::Closed) => return,
        };
        if progress.send(update).is_err() {
            return;
        }
    }
}
