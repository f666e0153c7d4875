//! Why a node could not start, or stopped with an error.

use std::net::SocketAddr;

use rustqueue_core::EngineError;

use crate::storage::OpenStoreError;

/// Why RustQueue could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] OpenStoreError),
    /// The engine could not start (the store refused the start-up recovery).
    #[error("cannot start the engine: {0}")]
    Engine(#[from] EngineError),
    /// A setting the HTTP side cannot use, such as a malformed origin.
    #[error("{0}")]
    Config(String),
    /// The address is in use, or not this machine's.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The listener given has no local address.
    #[error("cannot read the bound address: {0}")]
    Address(#[source] std::io::Error),
    /// Serving HTTP failed.
    #[error("server error: {0}")]
    Serve(#[source] std::io::Error),
    /// The task serving HTTP panicked or was cancelled.
    #[error("server task failed: {0}")]
    Task(#[source] tokio::task::JoinError),
}
