//! Opens the store named by `--database-url`.

use std::sync::Arc;

use rustqueue_core::Store;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};

use crate::config::SqliteSync;

/// Opens `sqlite://FILE` or `memory://`; anything else is refused with a clear message.
pub fn open_store(url: &str, sync: SqliteSync) -> Result<Arc<dyn Store>, String> {
    if url == "memory://" || url == "memory:" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    if url.starts_with("sqlite:") {
        let synchronous = match sync {
            SqliteSync::Normal => Synchronous::Normal,
            SqliteSync::Full => Synchronous::Full,
        };
        let store = SqliteStore::open_url(
            url,
            SqliteOptions {
                synchronous,
                ..SqliteOptions::default()
            },
        )
        .map_err(|error| format!("cannot open {url}: {error}"))?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        return Err(
            "the PostgreSQL store is not available in this build yet; use sqlite://FILE".into(),
        );
    }
    Err(format!(
        "unsupported database URL {url:?}: use sqlite://FILE or memory://"
    ))
}
