//! Opens the store named by `--database-url`.

use std::sync::Arc;

use rustqueue_core::Store;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_store_postgres::{PostgresOptions, PostgresStore};
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};

use crate::config::{ServeArgs, SqliteSync};

/// Opens `sqlite://FILE`, `postgres://...` or `memory://`; anything else is
/// refused with a message that says what is accepted.
pub async fn open_store(args: &ServeArgs) -> Result<Arc<dyn Store>, String> {
    let url = args.database_url.as_str();
    if url == "memory://" || url == "memory:" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    if url.starts_with("sqlite:") {
        return open_sqlite(url, args.sqlite_synchronous);
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let options = PostgresOptions {
            pool_size: args.postgres_pool_size as usize,
            schema: args.postgres_schema.clone(),
            ..PostgresOptions::default()
        };
        let store = PostgresStore::connect(url, options)
            .await
            .map_err(|error| format!("cannot open the PostgreSQL store: {error}"))?;
        return Ok(Arc::new(store));
    }
    Err(format!(
        "unsupported database URL {url:?}: use sqlite://FILE, postgres://USER@HOST/DB or memory://"
    ))
}

fn open_sqlite(url: &str, sync: SqliteSync) -> Result<Arc<dyn Store>, String> {
    let synchronous = match sync {
        SqliteSync::Normal => Synchronous::Normal,
        SqliteSync::Full => Synchronous::Full,
    };
    let options = SqliteOptions {
        synchronous,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_url(url, options)
        .map_err(|error| format!("cannot open {url}: {error}"))?;
    Ok(Arc::new(store))
}
