//! Opens the store a database URL names.

use std::sync::Arc;

use rustqueue_core::Store;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_store_postgres::{PostgresOptions, PostgresStore};
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};

use crate::embed::{Settings, SqliteSync};

/// Why the store a URL names could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenStoreError {
    /// The URL names no store this build knows.
    #[error(
        "unsupported database URL {0:?}: use sqlite://FILE, postgres://USER@HOST/DB or memory://"
    )]
    Unsupported(String),
    /// The SQLite file could not be opened or migrated.
    #[error("cannot open {url}: {source}")]
    Sqlite {
        /// The URL given.
        url: String,
        /// What SQLite said.
        #[source]
        source: rustqueue_store_sqlite::OpenError,
    },
    /// The PostgreSQL database could not be reached or migrated.
    #[error("cannot open the PostgreSQL store: {0}")]
    Postgres(#[source] rustqueue_store_postgres::ConnectError),
}

/// Opens `sqlite://FILE`, `postgres://...` or `memory://`; anything else is
/// refused with a message that says what is accepted.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, OpenStoreError> {
    let url = settings.database_url.as_str();
    if url == "memory://" || url == "memory:" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    if url.starts_with("sqlite:") {
        return open_sqlite(url, settings.sqlite_synchronous);
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let options = PostgresOptions {
            pool_size: settings.postgres_pool_size as usize,
            schema: settings.postgres_schema.clone(),
            ..PostgresOptions::default()
        };
        let store = PostgresStore::connect(url, options)
            .await
            .map_err(OpenStoreError::Postgres)?;
        return Ok(Arc::new(store));
    }
    Err(OpenStoreError::Unsupported(url.to_owned()))
}

fn open_sqlite(url: &str, sync: SqliteSync) -> Result<Arc<dyn Store>, OpenStoreError> {
    let synchronous = match sync {
        SqliteSync::Normal => Synchronous::Normal,
        SqliteSync::Full => Synchronous::Full,
    };
    let options = SqliteOptions {
        synchronous,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_url(url, options).map_err(|source| OpenStoreError::Sqlite {
        url: url.to_owned(),
        source,
    })?;
    Ok(Arc::new(store))
}
