//! RustQueue's shared store: the [`Store`](rustqueue_core::store::Store) trait
//! on PostgreSQL, for several RustQueue nodes sharing one database.
//!
//! Every operation is one statement on a pooled connection (a handful use a
//! short transaction): claims lock ready rows with `FOR UPDATE SKIP LOCKED`,
//! batches travel as arrays and come apart with `unnest`, and each transition
//! writes its history event in the same statement. Writes that make work
//! ready `pg_notify` the schema's channel; a dedicated LISTEN connection turns
//! that into the store's work signal, so idle nodes start new work at once.
//!
//! Layout. Each operation lives in the file of the same name in
//! `rustqueue-store-sqlite`, as sqlx's drivers mirror each other:
//! - [`store`]: [`PostgresStore`], connecting, and the trait implementation.
//! - [`options`]: [`PostgresOptions`] and the driver configuration.
//! - [`errors`]: [`ConnectError`] and the one mapping of driver errors.
//! - `connection`: the connection pool and the wake-up channel name.
//! - `migrate`: versioned migrations from `migrations/`, applied at connect.
//! - `functions`: the SQL functions' current bodies from `sql/functions/`,
//!   applied at connect.
//! - `insert`: batch inserts with `unique_key` deduplication.
//! - `lease`: claims, finishes and heartbeats (the hot path).
//! - `ready`: the next run time of ready tasks.
//! - `tasks`: one task: get, retry, delete; and clearing every task.
//! - `queues`: pausing a queue, and listing queues.
//! - `backlog`: each queue's tasks not due yet and its oldest due task.
//! - `queries`: task lists, running tasks, expired leases.
//! - `page`: filtered keyset pages.
//! - `filter`: task filters as WHERE clauses.
//! - `bulk`: retrying, deleting and pruning many tasks.
//! - `counters`: per (queue, type, status) counts kept by every change.
//! - `history`: reading task events.
//! - `cron`: cron records and enqueuing one tick exactly once across nodes.
//! - `workers`: worker records: upserted, listed, pruned.
//! - `rows`: how fields map to columns and back.
//!
//! Only on PostgreSQL, for nodes that share one database:
//! - `notify`: the LISTEN connection behind the work signal and the transition feed.
//! - `relay`: transitions shared between nodes as notices.
//! - `periodic`: turns that make periodic jobs run once per tick cluster-wide.
//! - [`testing`]: throwaway schemas for tests of code built on this store.

pub mod errors;
pub mod options;
pub mod store;
pub mod testing;

mod backlog;
mod bulk;
mod connection;
mod counters;
mod cron;
mod filter;
mod functions;
mod history;
mod insert;
mod lease;
mod migrate;
mod notify;
mod page;
mod periodic;
mod queries;
mod queues;
mod ready;
mod relay;
mod rows;
mod tasks;
mod workers;

pub use errors::ConnectError;
pub use options::{MAX_SCHEMA_LEN, PostgresOptions};
pub use store::PostgresStore;
