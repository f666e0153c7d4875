//! The real `rustqueue` binary as a child process: for crash, cluster and
//! outage tests, which need a process to kill.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rustqueue_store_tests::eventually;
use serde_json::Value;

/// A running `rustqueue serve` and its address.
pub(crate) struct Node {
    pub child: Child,
    pub base: String,
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address")
        .port()
}

impl Node {
    /// Starts `rustqueue serve` on a free port with these settings (as
    /// environment variables) and waits until it is ready.
    pub(crate) async fn start(settings: &[(&str, String)]) -> Node {
        Self::start_on(free_port(), settings).await
    }

    /// As [`Node::start`], on a port chosen by the caller (to restart a
    /// server where its clients expect it). A token in the test's own
    /// environment is not inherited; `settings` may set one.
    pub(crate) async fn start_on(port: u16, settings: &[(&str, String)]) -> Node {
        let child = Command::new(env!("CARGO_BIN_EXE_rustqueue"))
            .arg("serve")
            .env("RUSTQUEUE_BIND", format!("127.0.0.1:{port}"))
            .env_remove("RUSTQUEUE_API_TOKEN")
            .envs(settings.iter().map(|(key, value)| (key, value)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts");
        let node = Node {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        eventually(
            "the server becomes ready",
            Duration::from_secs(30),
            async || reqwest::get(node.url("/readyz")).await.is_ok(),
        )
        .await;
        node
    }

    /// The URL of `path` on this node.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every task, through the original list route.
    pub(crate) async fn jobs(&self) -> Vec<Value> {
        reqwest::get(self.url("/api/jobs"))
            .await
            .expect("list")
            .json()
            .await
            .expect("json")
    }

    /// The counts per status.
    pub(crate) async fn status_counts(&self) -> Value {
        let counts: Value = reqwest::get(self.url("/api/counts"))
            .await
            .expect("counts")
            .json()
            .await
            .expect("json");
        counts["by_status"].clone()
    }

    /// Asks the process to shut down gracefully (SIGTERM).
    pub(crate) fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM sent");
    }

    /// Waits up to `limit` for the process to exit by itself, and reaps it.
    pub(crate) async fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        eventually("the server exits after SIGTERM", limit, async || {
            self.child.try_wait().expect("try_wait")
        })
        .await
    }

    /// Kills the process with SIGKILL and reaps it.
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // A failed test must not leave servers behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `rustqueue serve` on a memory store with `args` added, expects it to
/// stop at once with a failure, and gives what it wrote to stderr.
pub(crate) async fn refused_start(args: &[&std::ffi::OsStr]) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_rustqueue"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            "memory://",
        ])
        .args(args)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(20), output)
        .await
        .expect("the server stops at once")
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{args:?} was accepted: {stderr}");
    stderr
}
