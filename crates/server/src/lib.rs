//! The RustQueue server: HTTP on axum over the core engine.
//!
//! Layout:
//! - [`config`]: the flags of `rustqueue serve` and their environment twins.
//! - [`cron_config`]: cron entries from `--cron` flags and a `--cron-file`.
//! - [`queues_config`]: queue limits from a `--queues-file`.
//! - [`serve`]: `rustqueue serve`, the embedding builder set up from the command line.
//! - [`embed`]: the builder a Rust program uses to run RustQueue with its own settings, handlers and store.
//! - [`app`]: the router with authentication, CORS, body limit and tracing.
//! - [`dashboard`]: the embedded dashboard, served at `/`.
//! - [`api`]: the routes, one module per resource.
//! - [`storage`]: opening the store a URL names.
//! - [`auth`], [`extract`], [`error`]: bearer tokens, request extractors, `{"detail"}` errors.
//! - [`origin`]: allowed browser origins, and the guard against cross-site changes.
//! - [`request_metrics`]: HTTP requests timed by route and status, for `/metrics`.
//! - [`telemetry`]: request spans that continue the caller's trace, and OTLP export.
//! - [`logging`]: the log subscriber, with OpenTelemetry export.
//!
//! The client commands (`rustqueue worker`, `enqueue`, `tasks`) and the
//! worker protocol's bodies live in the `rustqueue-client` crate.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod cron_config;
pub mod dashboard;
pub mod embed;
pub mod error;
pub mod extract;
pub mod logging;
pub mod origin;
pub mod queues_config;
pub mod request_metrics;
pub mod serve;
pub mod storage;
pub mod telemetry;
