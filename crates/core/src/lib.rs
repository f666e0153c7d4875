//! RustQueue's core: the task model, the storage trait, and the engine that runs tasks.
//!
//! Layout:
//! - [`task`]: a task, its status and history events.
//! - [`store`]: the storage trait every backend implements (and the cluster side of a
//!   shared one), the facade the engine calls it through, and the memory backend.
//! - [`enqueue`]: what an enqueue asks for, and its validation.
//! - [`engine`]: dispatcher and worker pool, finisher, leases and reaper,
//!   the remote worker protocol and the cluster relay.
//! - [`handler`]: the handler trait, how failed attempts end, and the registry of task types.
//! - [`context`]: what a handler gets for one attempt (payload, attempt, cancellation, span).
//! - [`typed`]: handlers written as `async fn`s over a typed payload.
//! - [`builtin`]: the nine demo task types.
//! - [`limits`]: flow control, the concurrency limits of a queue and its keys.
//! - [`retry`]: exponential back-off with jitter.
//! - [`clock`]: the injectable source of time.
//! - [`cron`]: recurring tasks: schedules in a time zone, and their entries.
//! - [`trace`]: the W3C trace context a task carries to its attempts.
//! - [`error`]: errors the engine reports.

pub mod builtin;
pub mod clock;
pub mod context;
pub mod cron;
pub mod engine;
pub mod enqueue;
pub mod error;
pub mod fairness;
pub mod handler;
pub mod limits;
pub mod retry;
pub mod store;
pub mod task;
pub mod trace;
pub mod typed;

pub use context::TaskContext;
pub use engine::{Engine, EngineConfig};
pub use enqueue::EnqueueRequest;
pub use error::EngineError;
pub use handler::{HandlerResult, Next, Registry, TaskError, TaskHandler};
pub use store::Store;
pub use task::Transition;
pub use task::{Task, TaskEvent, TaskStatus};
