//! RustQueue's embedded default store: the [`Store`](rustqueue_core::store::Store)
//! trait on one SQLite file in WAL mode, owned by one process.
//!
//! Writes go to a single writer thread that commits them in groups (one
//! transaction, one WAL append for everything queued at that moment) and
//! answers each caller only after the commit. Reads use a small pool of read
//! connections on tokio's blocking threads.
//!
//! Layout:
//! - [`store`]: [`SqliteStore`], opening it and the trait implementation.
//! - [`options`]: [`SqliteOptions`], [`Synchronous`] and `sqlite://` URLs.
//! - [`errors`]: [`OpenError`] and the one mapping of SQLite errors.
//! - `connection`: the exclusive lock file and connection pragmas.
//! - `migrate`: versioned migrations from `migrations/`, applied at open.
//! - `writer`: the writer thread and its group commit.
//! - `checkpointer`: WAL checkpoints on a thread of their own.
//! - `reader`: the read connection pool.
//! - `tasks`: inserts, retries, deletes, clear and queue pauses.
//! - `lease`: claims, finishes and heartbeats (the hot path).
//! - `ready`: finding due tasks and the next run time, per queue and priority.
//! - `backlog`: each queue's tasks not due yet and its oldest due task.
//! - `queries`: list, expired leases, queues.
//! - `page`: filtered keyset pages.
//! - `filter`: a task filter as SQL that walks an index in id order.
//! - `search`: the trigram index over ids and payloads, and search plans.
//! - `id_clock`: creation-time bounds turned into id bounds.
//! - `counters`: per-(queue, type, status) counts kept with every change.
//! - `bulk`: retrying and deleting many tasks.
//! - `history`: appending and reading task events.
//! - `cron`: cron records and enqueuing one tick.
//! - `rows`: how fields map to columns and back.

pub mod errors;
pub mod options;
pub mod store;

mod backlog;
mod bulk;
mod checkpointer;
mod connection;
mod counters;
mod cron;
mod filter;
mod history;
mod id_clock;
mod lease;
mod migrate;
mod page;
mod queries;
mod reader;
mod ready;
mod rows;
mod search;
mod tasks;
mod workers;
mod writer;

#[cfg(test)]
mod plans;

pub use errors::OpenError;
pub use options::{SqliteOptions, Synchronous, UnknownSynchronous, path_from_url};
pub use store::SqliteStore;
