//! RustQueue's embedded default store: the [`Store`](rustqueue_core::store::Store)
//! trait on one SQLite file in WAL mode, owned by one process.
//!
//! Writes go to a single writer thread that commits them in groups (one
//! transaction, one WAL append for everything queued at that moment) and
//! answers each caller only after the commit. Reads use a small pool of read
//! connections on tokio's blocking threads.
//!
//! Layout. Each operation lives in the file of the same name in
//! `rustqueue-store-postgres`, as sqlx's drivers mirror each other:
//! - [`store`]: [`SqliteStore`], opening it and the trait implementation.
//! - [`options`]: [`SqliteOptions`], [`Synchronous`] and `sqlite://` URLs.
//! - [`errors`]: [`OpenError`] and the one mapping of SQLite errors.
//! - [`testing`]: throwaway database files for tests of code built on this store
//!   (PostgreSQL's counterpart is a throwaway schema).
//! - `connection`: the exclusive lock file and connection pragmas.
//! - `migrate`: versioned migrations from `migrations/`, applied at open.
//! - `insert`: inserts with `unique_key` deduplication.
//! - `lease`: claims, finishes and heartbeats (the hot path).
//! - `ready`: finding due tasks and the next run time, per queue and priority.
//! - `tasks`: one task: get, retry, delete; and clearing every task.
//! - `queues`: pausing a queue, and listing queues.
//! - `backlog`: each queue's tasks not due yet and its oldest due task.
//! - `queries`: task lists, running tasks, expired leases.
//! - `page`: filtered keyset pages.
//! - `filter`: a task filter as SQL that walks an index in id order.
//! - `bulk`: retrying, deleting and pruning many tasks.
//! - `counters`: per-(queue, type, status) counts kept with every change.
//! - `history`: appending and reading task events.
//! - `cron`: cron records and enqueuing one tick.
//! - `workers`: worker records: upserted, listed, pruned.
//! - `rows`: how fields map to columns and back.
//!
//! Only on SQLite, for one process owning one file:
//! - `writer`: the writer thread and its group commit.
//! - `checkpointer`: WAL checkpoints on a thread of their own.
//! - `reader`: the read connection pool.
//! - `search`: the trigram index over ids and payloads, and search plans.
//! - `id_clock`: creation-time bounds turned into id bounds.
//! - `plans` (tests only): the query plans the hot path and the pages must keep.

pub mod errors;
pub mod options;
pub mod store;
pub mod testing;

mod backlog;
mod bulk;
mod checkpointer;
mod connection;
mod counters;
mod cron;
mod fair;
mod filter;
mod history;
mod id_clock;
mod insert;
mod lease;
mod limited;
mod migrate;
mod page;
mod queries;
mod queues;
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
