//! Errors: what connecting a store can fail with, and the one mapping of
//! PostgreSQL and pool errors to the shared [`StoreError`].

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

use rustqueue_core::store::StoreError;

/// Why a PostgreSQL store could not be connected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The database URL could not be parsed.
    #[error("invalid postgres url: {0}")]
    InvalidUrl(#[source] tokio_postgres::Error),
    /// The schema name is not one this store accepts.
    #[error("invalid schema name {schema:?}: {reason}")]
    InvalidSchema {
        /// The name as given.
        schema: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The options make no pool (a zero size, say).
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    /// The server could not be reached or refused the session.
    #[error("cannot connect to postgres: {0}")]
    Connect(#[source] StoreError),
    /// The schema or its version table could not be set up for migrating.
    #[error("cannot prepare schema {schema:?} for migrations: {source}")]
    Prepare {
        /// The schema.
        schema: String,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// The schema was migrated by a newer RustQueue than this build knows.
    #[error("schema {schema:?} has version {found}, newer than the {known} this build knows")]
    TooNew {
        /// The schema.
        schema: String,
        /// The version found in `schema_migrations`.
        found: i64,
        /// The latest version this build can apply.
        known: usize,
    },
    /// A migration failed; the schema is left at the version before it.
    #[error("cannot migrate schema {schema:?} to version {version}: {source}")]
    Migrate {
        /// The schema.
        schema: String,
        /// The version that failed to apply.
        version: usize,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// A SQL function's current body could not be applied.
    #[error("cannot apply function {function} to schema {schema:?}: {source}")]
    Functions {
        /// The schema.
        schema: String,
        /// The function that failed.
        function: &'static str,
        /// The cause.
        #[source]
        source: StoreError,
    },
}

impl From<ConnectError> for StoreError {
    fn from(err: ConnectError) -> Self {
        match err {
            ConnectError::Connect(StoreError::Unavailable(_))
            | ConnectError::Prepare {
                source: StoreError::Unavailable(_),
                ..
            } => StoreError::unavailable(err),
            other => StoreError::other(other),
        }
    }
}

/// An error inside a store operation: from the driver, the pool, or a decision
/// of the operation itself.
#[derive(Debug)]
pub(crate) enum Fault {
    /// PostgreSQL or the connection failed.
    Db(tokio_postgres::Error),
    /// No connection could be had from the pool.
    Pool(PoolError),
    /// The operation refused (not found, conflict) or found bad data.
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Fault {
    fn from(err: tokio_postgres::Error) -> Self {
        Fault::Db(err)
    }
}

impl From<PoolError> for Fault {
    fn from(err: PoolError) -> Self {
        Fault::Pool(err)
    }
}

impl From<StoreError> for Fault {
    fn from(err: StoreError) -> Self {
        Fault::Store(err)
    }
}

impl From<Fault> for StoreError {
    fn from(fault: Fault) -> Self {
        store_error(fault)
    }
}

/// Maps a driver or pool error to the shared kinds: the one place this happens.
pub(crate) fn store_error(fault: Fault) -> StoreError {
    let err = match fault {
        Fault::Store(err) => return err,
        Fault::Pool(PoolError::Backend(err)) => err,
        // No free connection in time, or the pool is gone: worth retrying later.
        Fault::Pool(err @ (PoolError::Timeout(_) | PoolError::Closed)) => {
            return StoreError::unavailable(err);
        }
        Fault::Pool(err) => return StoreError::other(err),
        Fault::Db(err) => err,
    };
    if let Some(db) = err.as_db_error() {
        let code = db.code().clone();
        if code == SqlState::UNIQUE_VIOLATION {
            let message = conflict_message(db);
            return StoreError::conflict(Described::new(message, err));
        }
        let cause = Described::new(describe(&err), err);
        if code == SqlState::DISK_FULL {
            return StoreError::full(cause);
        }
        return if transient(&code) {
            StoreError::unavailable(cause)
        } else {
            StoreError::other(cause)
        };
    }
    // No server error: the connection broke, timed out or could not be opened.
    let io = std::error::Error::source(&err).is_some_and(|cause| cause.is::<std::io::Error>());
    let unavailable = err.is_closed() || io;
    let cause = Described::new(describe(&err), err);
    if unavailable {
        StoreError::unavailable(cause)
    } else {
        StoreError::other(cause)
    }
}

/// A driver error told in our words (the server's message with its detail,
/// or which key clashed), keeping the driver's error as its source.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Described {
    message: String,
    #[source]
    source: tokio_postgres::Error,
}

impl Described {
    fn new(message: String, source: tokio_postgres::Error) -> Self {
        Self { message, source }
    }
}

/// Faults that pass: the server is restarting, out of connections, or asked
/// this transaction to step back (serialization failure, deadlock).
fn transient(code: &SqlState) -> bool {
    if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::READ_ONLY_SQL_TRANSACTION {
        // A lock timeout, or a primary that just became a replica.
        return true;
    }
    // A cancelled statement was cancelled on purpose (statement_timeout): not a restart.
    let class = code.code().get(..2);
    matches!(class, Some("08" | "53" | "57" | "40")) && *code != SqlState::QUERY_CANCELED
}

/// The server's message with its detail, which names the clashing key.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => err.to_string(),
    }
}

fn conflict_message(db: &tokio_postgres::error::DbError) -> String {
    match db.constraint() {
        Some("tasks_pkey") => format!(
            "a task with this id exists already ({})",
            db.detail().unwrap_or("duplicate id")
        ),
        Some("tasks_unique_key") => "its unique key is held by another unfinished task".to_owned(),
        _ => db.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_and_contention_are_transient() {
        for code in [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::CONNECTION_FAILURE,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::READ_ONLY_SQL_TRANSACTION,
        ] {
            assert!(transient(&code), "{code:?}");
        }
        for code in [
            SqlState::SYNTAX_ERROR,
            SqlState::UNDEFINED_TABLE,
            SqlState::QUERY_CANCELED,
            SqlState::CHARACTER_NOT_IN_REPERTOIRE,
        ] {
            assert!(!transient(&code), "{code:?}");
        }
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        let timeout = store_error(Fault::Pool(PoolError::Timeout(
            deadpool_postgres::TimeoutType::Wait,
        )));
        assert!(matches!(timeout, StoreError::Unavailable(_)), "{timeout:?}");
        let closed = store_error(Fault::Pool(PoolError::Closed));
        assert!(matches!(closed, StoreError::Unavailable(_)), "{closed:?}");
        let refused = store_error(Fault::Store(StoreError::NotFound));
        assert!(matches!(refused, StoreError::NotFound));
    }
}
