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

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    fn settings(url: &str) -> Settings {
        Settings {
            database_url: url.to_owned(),
            ..Settings::default()
        }
    }

    #[tokio::test]
    async fn an_unknown_scheme_says_what_is_accepted() {
        let error = open_store(&settings("mysql://db"))
            .await
            .expect_err("refused");
        assert!(matches!(error, OpenStoreError::Unsupported(_)));
        assert!(error.to_string().contains("use sqlite://FILE"), "{error}");
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_opened_keeps_its_cause() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}/missing/tasks.db", dir.path().display());
        let error = open_store(&settings(&url)).await.expect_err("refused");
        assert!(matches!(error, OpenStoreError::Sqlite { .. }), "{error:?}");
        assert!(error.source().is_some(), "the SQLite error is kept");
        assert!(
            error.to_string().starts_with("cannot open sqlite://"),
            "{error}"
        );
    }
}
