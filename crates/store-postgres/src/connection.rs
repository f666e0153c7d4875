//! The connection pool every operation borrows from, and the wake-up channel
//! its writes notify.

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};

use crate::errors::{ConnectError, Fault};
use crate::options::PostgresOptions;

/// What every operation needs: pooled connections and the channel to notify.
pub(crate) struct Db {
    pool: Pool,
    /// The `pg_notify` channel of this schema, set once migrations found the
    /// schema; see [`crate::notify::channel`].
    pub(crate) channel: String,
}

impl Db {
    /// A pool over `config`; connections open lazily, on first use.
    pub(crate) fn new(
        config: tokio_postgres::Config,
        options: &PostgresOptions,
    ) -> Result<Self, ConnectError> {
        // Fast recycling only checks that the socket is still open: a
        // connection that broke (say, the server restarted) is dropped and
        // replaced, without a test query on every checkout.
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        if options.pool_size == 0 {
            return Err(ConnectError::Pool(
                "pool_size must be at least 1".to_owned(),
            ));
        }
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .wait_timeout(Some(options.acquire_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|err| ConnectError::Pool(err.to_string()))?;
        Ok(Self {
            pool,
            channel: String::new(),
        })
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object, Fault> {
        Ok(self.pool.get().await?)
    }

    /// Closes the pool: waiting callers fail, idle connections are dropped.
    pub(crate) fn close(&self) {
        self.pool.close();
    }
}
