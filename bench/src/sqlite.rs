//! Opening SQLite stores and engines for the benchmarks, and what each
//! synchronous mode promises.

use std::path::Path;
use std::sync::Arc;

use rustqueue_core::Engine;
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};

use crate::{BenchResult, engine_over};

/// Opens (creating) the SQLite store at `path`.
pub fn open(path: &Path, synchronous: Synchronous) -> BenchResult<Arc<SqliteStore>> {
    let options = SqliteOptions {
        synchronous,
        ..SqliteOptions::default()
    };
    Ok(Arc::new(SqliteStore::open(path, options)?))
}

/// An engine over `store` that runs `NOOP` (and the demo types) with `workers` workers.
pub fn engine(store: Arc<SqliteStore>, workers: usize) -> Engine {
    engine_over(store, workers)
}

/// What an acknowledged enqueue survives in this mode.
pub fn durability(synchronous: Synchronous) -> String {
    let promise = match synchronous {
        Synchronous::Normal => "survives kill -9, not power loss",
        _ => "fsync per commit: survives power loss",
    };
    format!(
        "SQLite WAL, synchronous={}: {promise}",
        synchronous.as_pragma()
    )
}
