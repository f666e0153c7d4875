//! Embedding RustQueue in a Rust program: a builder that starts the engine
//! and the HTTP server with the program's own handlers and store.
//!
//! ```no_run
//! use rustqueue_server::embed::{RustQueue, TaskContext, TaskError};
//!
//! #[derive(serde::Deserialize)]
//! struct Resize { url: String, width: u32 }
//!
//! async fn resize(ctx: TaskContext, job: Resize) -> Result<String, TaskError> {
//!     ctx.progress(format_args!("resizing {} to {}", job.url, job.width));
//!     Ok(format!("{}?w={}", job.url, job.width))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! RustQueue::builder()
//!     .database_url("sqlite://tasks.db")
//!     .handler("RESIZE", resize)
//!     .demo_types(false)
//!     .serve("127.0.0.1:8000".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use clap::{Args, FromArgMatches};
use rustqueue_core::builtin::register_demo_types;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::typed::handler_fn;
use rustqueue_core::{Engine, EngineError, Registry, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use rustqueue_core::typed::HandlerFn;
pub use rustqueue_core::{HandlerResult, Next, TaskContext, TaskError, TaskHandler};

use crate::api::AppState;
use crate::app::{HttpSettings, app};
use crate::config::ServeArgs;
use crate::serve::{redact, run_http, shutdown_signal};
use crate::storage::open_store;

/// Why RustQueue could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error("{0}")]
    Store(String),
    /// The engine could not start (the store refused the start-up recovery).
    #[error("cannot start the engine: {0}")]
    Engine(#[from] EngineError),
    /// The HTTP side: a bad setting, an address in use, a server error.
    #[error("{0}")]
    Http(String),
}

/// The entry point: `RustQueue::builder()`.
#[derive(Debug)]
pub struct RustQueue;

impl RustQueue {
    /// A builder with the defaults of `rustqueue serve` (environment variables are not read).
    pub fn builder() -> Builder {
        Builder {
            args: default_args(),
            store: None,
            handlers: Registry::new(),
        }
    }
}

/// The settings of `rustqueue serve` at their defaults, whatever the environment says.
fn default_args() -> ServeArgs {
    let command = ServeArgs::augment_args(clap::Command::new("rustqueue").no_binary_name(true))
        .mut_args(|arg| arg.env(None::<&str>));
    let matches = command.get_matches_from(std::iter::empty::<String>());
    // Every argument has a default or is optional, so an empty command line always parses.
    ServeArgs::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

/// Assembles a RustQueue node: settings, store, handlers; then starts it.
pub struct Builder {
    args: ServeArgs,
    store: Option<Arc<dyn Store>>,
    handlers: Registry,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the settings: they hold the API token.
        f.debug_struct("Builder")
            .field("store", &self.store)
            .field("handlers", &self.handlers)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Replaces every setting, e.g. with [`ServeArgs`] flattened into the
    /// program's own `clap` parser (so it takes the flags and variables of `rustqueue serve`).
    pub fn args(mut self, args: ServeArgs) -> Self {
        self.args = args;
        self
    }

    /// Changes settings in place: `.configure(|s| s.workers = 8)`.
    pub fn configure(mut self, change: impl FnOnce(&mut ServeArgs)) -> Self {
        change(&mut self.args);
        self
    }

    /// Opens the store this URL names at start (`sqlite://FILE`, `postgres://...`, `memory://`).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.args.database_url = url.into();
        self
    }

    /// Uses this store instead of opening one by URL.
    pub fn store(self, store: impl Store + 'static) -> Self {
        self.shared_store(Arc::new(store))
    }

    /// Uses this store, shared with the rest of the program.
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Runs tasks of `task_type` with `f`, an `async fn(TaskContext, P) ->
    /// Result<R, TaskError>`: the payload is deserialised into `P` (a
    /// payload that does not fit fails the task for good) and `R` is stored
    /// as the result. Replaces a demo type of the same name.
    pub fn handler<P, F, Fut, R>(self, task_type: impl Into<String>, f: F) -> Self
    where
        P: DeserializeOwned + Send + 'static,
        F: Fn(TaskContext, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, TaskError>> + Send + 'static,
        R: Serialize,
    {
        self.task_handler(task_type, handler_fn(f))
    }

    /// Runs tasks of `task_type` with a [`TaskHandler`] (for handlers that
    /// keep state, or read the raw payload).
    pub fn task_handler(
        mut self,
        task_type: impl Into<String>,
        handler: impl TaskHandler + 'static,
    ) -> Self {
        self.handlers.register(task_type, handler);
        self
    }

    /// Accepts tasks of `task_type` for remote workers (the worker API, `rustqueue worker`).
    pub fn remote_type(
        mut self,
        task_type: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.handlers.declare_remote(task_type, description);
        self
    }

    /// Whether the nine demo types (EMAIL, REPORT, ..., FAILABS) are registered; on by default.
    pub fn demo_types(mut self, on: bool) -> Self {
        self.args.demo_types = on;
        self
    }

    /// Opens the store and starts the engine, without HTTP: enqueue and
    /// steer tasks through the returned [`Engine`]; call
    /// [`Engine::shutdown`] before the program ends.
    pub async fn start(self) -> Result<Engine, StartError> {
        let store = match self.store {
            Some(store) => store,
            None => open_store(&self.args).await.map_err(StartError::Store)?,
        };
        let mut registry = Registry::new();
        if self.args.demo_types {
            register_demo_types(&mut registry, self.args.demo_speed);
        }
        for task_type in &self.args.remote_types {
            registry.declare_remote(task_type, "declared with --remote-types");
        }
        registry.merge(self.handlers);
        let engine = Engine::new(
            store,
            registry,
            self.args.engine_config(),
            Arc::new(SystemClock),
        );
        engine.start().await?;
        Ok(engine)
    }

    /// Starts the engine and serves HTTP on `listener` in the background;
    /// the returned [`Server`] says where, and shuts down gracefully.
    pub async fn listen(self, listener: TcpListener) -> Result<Server, StartError> {
        let stop = CancellationToken::new();
        let (addr, engine, task) = self
            .spawn(
                listener,
                stop.clone().cancelled_owned(),
                std::future::pending(),
            )
            .await?;
        Ok(Server {
            addr,
            engine,
            stop,
            task,
        })
    }

    /// Starts the engine and serves HTTP on `addr` until SIGTERM or Ctrl-C,
    /// then drains gracefully (a second signal stops at once).
    pub async fn serve(self, addr: SocketAddr) -> Result<(), StartError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|error| StartError::Http(format!("cannot listen on {addr}: {error}")))?;
        let (_, _, task) = self
            .spawn(listener, shutdown_signal(), shutdown_signal())
            .await?;
        task.await
            .map_err(|error| StartError::Http(format!("server task failed: {error}")))?
    }

    /// Starts everything; HTTP drains when `stop` resolves, and ends at once when `force` does.
    async fn spawn(
        self,
        listener: TcpListener,
        stop: impl Future<Output = ()> + Send + 'static,
        force: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(SocketAddr, Engine, JoinHandle<Result<(), StartError>>), StartError> {
        let addr = listener
            .local_addr()
            .map_err(|error| StartError::Http(format!("cannot read the bound address: {error}")))?;
        let settings = HttpSettings {
            api_token: self
                .args
                .api_token
                .clone()
                .filter(|token| !token.is_empty()),
            cors_origins: self.args.frontend_origin.clone(),
            body_limit: self.args.body_limit_bytes,
        };
        let (grace_secs, workers) = (self.args.shutdown_grace_secs, self.args.workers);
        let database = match &self.store {
            Some(_) => "a store given by the program".to_owned(),
            None => redact(&self.args.database_url),
        };
        let engine = self.start().await?;
        let state = AppState {
            engine: engine.clone(),
        };
        let router = app(state, &settings).map_err(StartError::Http)?;
        tracing::info!(address = %addr, %database, workers, "RustQueue is listening");
        let serving = run_http(engine.clone(), listener, router, grace_secs, stop, force);
        let task = tokio::spawn(async move { serving.await.map_err(StartError::Http) });
        Ok((addr, engine, task))
    }
}

/// A RustQueue node serving HTTP in the background.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    engine: Engine,
    stop: CancellationToken,
    task: JoinHandle<Result<(), StartError>>,
}

impl Server {
    /// The address it listens on (the port chosen, when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The engine, to enqueue and steer tasks from Rust.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Stops taking work, lets running tasks finish within the grace period,
    /// hands the rest back, then stops HTTP.
    pub async fn shutdown(self) -> Result<(), StartError> {
        self.stop.cancel();
        self.task
            .await
            .map_err(|error| StartError::Http(format!("server task failed: {error}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_those_of_rustqueue_serve() {
        let args = default_args();
        assert_eq!(args.bind, "127.0.0.1:8000".parse().expect("address"));
        assert_eq!(args.database_url, "sqlite://rustqueue.db");
        assert!(args.demo_types);
        assert_eq!(args.demo_speed, 1.0);
    }

    #[test]
    fn demo_types_is_a_switch_on_by_default() {
        let parse = |flags: &[&str]| {
            let command = ServeArgs::augment_args(clap::Command::new("serve").no_binary_name(true))
                .mut_args(|arg| arg.env(None::<&str>));
            let matches = command.try_get_matches_from(flags).expect("flags parse");
            ServeArgs::from_arg_matches(&matches)
                .expect("settings")
                .demo_types
        };
        assert!(parse(&[]));
        assert!(parse(&["--demo-types"]));
        assert!(!parse(&["--demo-types=false"]));
        assert!(!parse(&["--demo-types", "off"]));
    }
}
