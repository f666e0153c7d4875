//! A node serving HTTP in the background, as [`Builder::listen`](super::Builder::listen) returns it.

use std::net::SocketAddr;

use rustqueue_core::Engine;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::StartError;

/// A RustQueue node serving HTTP in the background.
#[derive(Debug)]
pub struct Server {
    pub(super) addr: SocketAddr,
    pub(super) engine: Engine,
    pub(super) stop: CancellationToken,
    pub(super) task: JoinHandle<Result<(), StartError>>,
}

impl Server {
    /// The address it listens on (the port chosen, when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The engine, to enqueue and steer tasks from Rust.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Stops taking work, lets running tasks finish within the grace period,
    /// hands the rest back, then stops HTTP.
    pub async fn shutdown(self) -> Result<(), StartError> {
        self.stop.cancel();
        self.task.await.map_err(StartError::Task)?
    }
}
