//! The client commands on the real binary: one run of `rustqueue ARGS`
//! against a node, its exit code and its output.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::node::Node;

/// One run of the binary.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The JSON on stdout of a run that succeeded.
    pub(crate) fn json(&self) -> Value {
        assert_eq!(self.code, 0, "failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).expect("stdout is one JSON document")
    }

    /// Asserts the run failed with `code` and `detail` on stderr.
    pub(crate) fn failed(&self, code: i32, detail: &str) {
        assert_eq!(
            self.code, code,
            "stdout {} stderr {}",
            self.stdout, self.stderr
        );
        assert!(self.stderr.contains(detail), "stderr: {}", self.stderr);
    }
}

/// Runs `rustqueue ARGS` against `server`, with extra environment and stdin.
pub(crate) async fn rustqueue_with(
    server: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rustqueue"))
        .args(args)
        .env("RUSTQUEUE_SERVER", server)
        .env_remove("RUSTQUEUE_API_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rustqueue starts");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("stdin written");
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("rustqueue ends")
        .expect("output");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8"),
        stderr: String::from_utf8(output.stderr).expect("utf-8"),
    }
}

pub(crate) async fn rustqueue(node: &Node, args: &[&str]) -> Run {
    rustqueue_with(&node.base, args, &[], "").await
}

/// A node on the memory store with the `REMOTE` type and fast demo types.
pub(crate) async fn start(extra: &[(&str, &str)]) -> Node {
    let mut settings = vec![
        ("RUSTQUEUE_DATABASE_URL", "memory://".to_owned()),
        ("RUSTQUEUE_REMOTE_TYPES", "REMOTE".to_owned()),
        ("RUSTQUEUE_DEMO_SPEED", "1000".to_owned()),
    ];
    settings.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    Node::start(&settings).await
}

pub(crate) fn id_of(answer: &Value) -> String {
    answer["task"]["id"].as_str().expect("id").to_owned()
}
