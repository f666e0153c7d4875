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
//!
//! Layout:
//! - [`settings`]: [`Settings`], a plain struct with the defaults of `rustqueue serve`.
//! - [`error`]: [`StartError`], why a node could not start.
//! - `http`: serving and the graceful shutdown.
//! - [`server`]: [`Server`], a node serving in the background.

pub mod error;
mod http;
pub mod server;
pub mod settings;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use rustqueue_core::builtin::register_demo_types;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::typed::handler_fn;
use rustqueue_core::{Engine, Registry, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use error::StartError;
pub use rustqueue_core::typed::HandlerFn;
pub use rustqueue_core::{HandlerResult, Next, TaskContext, TaskError, TaskHandler};
pub use server::Server;
pub use settings::{Settings, SqliteSync};

use crate::api::AppState;
use crate::app::{HttpSettings, app};
use crate::storage::open_store;

/// The entry point: `RustQueue::builder()`.
#[derive(Debug)]
pub struct RustQueue;

impl RustQueue {
    /// A builder with the defaults of `rustqueue serve` (environment variables are not read).
    pub fn builder() -> Builder {
        Builder {
            settings: Settings::default(),
            store: None,
            handlers: Registry::new(),
        }
    }
}

/// Assembles a RustQueue node: settings, store, handlers; then starts it.
pub struct Builder {
    settings: Settings,
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
    /// Replaces every setting, e.g. with those `rustqueue serve`'s flags
    /// describe (`ServeArgs` converts into [`Settings`]).
    pub fn settings(mut self, settings: impl Into<Settings>) -> Self {
        self.settings = settings.into();
        self
    }

    /// Changes settings in place: `.configure(|s| s.workers = 8)`.
    pub fn configure(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(&mut self.settings);
        self
    }

    /// Opens the store this URL names at start (`sqlite://FILE`, `postgres://...`, `memory://`).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.settings.database_url = url.into();
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
        self.settings.demo_types = on;
        self
    }

    /// Opens the store and starts the engine, without HTTP: enqueue and
    /// steer tasks through the returned [`Engine`]; call
    /// [`Engine::shutdown`] before the program ends.
    pub async fn start(self) -> Result<Engine, StartError> {
        let store = match self.store {
            Some(store) => store,
            None => open_store(&self.settings).await?,
        };
        let mut registry = Registry::new();
        if self.settings.demo_types {
            register_demo_types(&mut registry, self.settings.demo_speed);
        }
        for task_type in &self.settings.remote_types {
            registry.declare_remote(task_type, "declared with --remote-types");
        }
        registry.merge(self.handlers);
        let config = self.settings.engine_config();
        let engine = Engine::new(store, registry, config, Arc::new(SystemClock));
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
            .map_err(|source| StartError::Bind { addr, source })?;
        let signal = http::shutdown_signal;
        let (_, _, task) = self.spawn(listener, signal(), signal()).await?;
        task.await.map_err(StartError::Task)?
    }

    /// Starts everything; HTTP drains when `stop` resolves, and ends at once when `force` does.
    async fn spawn(
        self,
        listener: TcpListener,
        stop: impl Future<Output = ()> + Send + 'static,
        force: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(SocketAddr, Engine, JoinHandle<Result<(), StartError>>), StartError> {
        let addr = listener.local_addr().map_err(StartError::Address)?;
        let settings = HttpSettings {
            api_token: self.settings.token(),
            cors_origins: self.settings.frontend_origin.clone(),
            body_limit: self.settings.body_limit_bytes,
        };
        let (grace_secs, workers) = (self.settings.shutdown_grace_secs, self.settings.workers);
        let database = match &self.store {
            Some(_) => "a store given by the program".to_owned(),
            None => http::redact(&self.settings.database_url),
        };
        let engine = self.start().await?;
        let state = AppState {
            engine: engine.clone(),
        };
        let router = app(state, &settings).map_err(StartError::Config)?;
        tracing::info!(address = %addr, %database, workers, "RustQueue is listening");
        let serving = http::run_http(engine.clone(), listener, router, grace_secs, stop, force);
        Ok((addr, engine, tokio::spawn(serving)))
    }
}
