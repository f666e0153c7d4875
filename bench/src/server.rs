//! The real `rustqueue serve` binary as a child process on a free port.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::BenchResult;
use crate::memory::Memory;

/// The demo speed the benchmarks run the server's `EMAIL` type at: its 2 s
/// sleep becomes zero, so it is a no-op (a zero sleep still waits for the next
/// tick of tokio's timer, at most 1 ms).
pub const NOOP_SPEED: &str = "1e12";

/// The task type the server runs as a no-op at [`NOOP_SPEED`].
pub const NOOP_TYPE: &str = "EMAIL";

/// A running server, killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// Where `cargo build --release` puts the binary, next to this benchmark's own.
pub fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("rustqueue")))
        .unwrap_or_else(|| PathBuf::from("target/release/rustqueue"))
}

/// A port nobody listens on now.
fn free_port() -> BenchResult<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Server {
    /// Starts `binary serve` with `args` (plus `--bind` and the no-op demo
    /// speed) in `dir`, and waits until `/readyz` answers 200.
    pub async fn start(binary: &Path, dir: &Path, args: &[String]) -> BenchResult<Self> {
        let port = free_port()?;
        let child = Command::new(binary)
            .arg("serve")
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(["--demo-speed", NOOP_SPEED])
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
        let pid = child.id().ok_or("the server exited at once")?;
        let server = Self {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready(Duration::from_secs(120)).await?;
        Ok(server)
    }

    async fn wait_ready(&self, limit: Duration) -> BenchResult<()> {
        let client = crate::http_load::client()?;
        let deadline = Instant::now() + limit;
        let url = format!("{}/readyz", self.base);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!("the server at {} was not ready within {limit:?}", self.base).into())
    }

    /// Its memory now and at its peak.
    pub fn memory(&self) -> BenchResult<Memory> {
        Memory::of(self.pid).ok_or_else(|| format!("no /proc/{}/status", self.pid).into())
    }

    /// Kills it and waits until it is gone; fails if it had already died.
    pub async fn stop(mut self) -> BenchResult<()> {
        if let Some(status) = self.child.try_wait()? {
            return Err(format!("the server died during the run: {status}").into());
        }
        self.child.kill().await?;
        Ok(())
    }
}
