//! The engine tests' harness: handlers written inline, an engine on the
//! memory store, and waiting for a task's status in paused time.
#![allow(dead_code)] // each test binary uses its own share of it

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rustqueue_core::clock::TokioClock;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::task::{EventKind, RawJson, Task, TaskStatus};
use rustqueue_core::{
    Engine, EngineConfig, EnqueueRequest, HandlerResult, Registry, TaskContext, TaskHandler,
    Transition,
};
use serde_json::value::RawValue;
use tokio::sync::broadcast;

/// A handler that runs a closure, so each test states its behaviour inline.
pub(crate) struct FnHandler<F>(pub(crate) F);

#[async_trait]
impl<F, Fut> TaskHandler for FnHandler<F>
where
    F: Fn(Task) -> Fut + Send + Sync,
    Fut: Future<Output = HandlerResult> + Send,
{
    async fn run(&self, ctx: &TaskContext) -> HandlerResult {
        (self.0)(ctx.task().clone()).await
    }

    fn description(&self) -> String {
        "test handler".into()
    }
}

pub(crate) fn json(text: &str) -> RawJson {
    RawValue::from_string(text.to_owned()).expect("valid JSON")
}

pub(crate) struct Harness {
    pub(crate) engine: Engine,
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) transitions: broadcast::Receiver<Transition>,
}

pub(crate) async fn start(registry: Registry, config: EngineConfig) -> Harness {
    let store = Arc::new(MemoryStore::new());
    start_on(store, registry, config).await
}

pub(crate) async fn start_on(
    store: Arc<MemoryStore>,
    registry: Registry,
    config: EngineConfig,
) -> Harness {
    let engine = Engine::new(store.clone(), registry, config, TokioClock::new());
    let transitions = engine.subscribe();
    engine.start().await.expect("engine starts");
    Harness {
        engine,
        store,
        transitions,
    }
}

impl Harness {
    pub(crate) async fn enqueue(&self, request: EnqueueRequest) -> Task {
        self.engine.enqueue(request).await.expect("enqueued").task
    }

    /// Waits (in paused time, so instantly) until `id` reaches `status`.
    pub(crate) async fn wait_for(&mut self, id: &str, status: TaskStatus) -> Task {
        let deadline = Duration::from_secs(3600);
        tokio::time::timeout(deadline, async {
            loop {
                let task = self.engine.get(id).await.expect("task exists");
                if task.status == status {
                    return task;
                }
                match self.transitions.recv().await {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => panic!("engine gone"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("task {id} never reached {status}"))
    }

    pub(crate) async fn kinds(&self, id: &str) -> Vec<EventKind> {
        self.engine
            .history(id)
            .await
            .expect("history")
            .iter()
            .map(|e| e.kind)
            .collect()
    }
}

pub(crate) fn registry_with(name: &str, handler: impl TaskHandler + 'static) -> Registry {
    let mut registry = Registry::new();
    registry.register(name, handler);
    registry
}

pub(crate) fn quick_backoff() -> EngineConfig {
    let mut config = EngineConfig::default();
    config.backoff.base = Duration::from_millis(100);
    config
}
