//! `--queues-file` on the real binary: its limits are in place once the server is up,
//! and a bad file stops the start with a message naming what is wrong.

use serde_json::{Value, json};

use crate::common::node::{Node, refused_start};

#[tokio::test]
async fn the_files_limits_are_listed_once_the_server_is_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("queues.toml");
    std::fs::write(
        &path,
        "[queues.mail]\nconcurrency = 5\nper_key_limit = 2\nkey_limits = { gold = 10 }\n",
    )
    .expect("write");
    let node = Node::start(&[
        ("RUSTQUEUE_DATABASE_URL", "memory://".to_owned()),
        ("RUSTQUEUE_QUEUES_FILE", path.display().to_string()),
    ])
    .await;
    let listed: Vec<Value> = reqwest::get(node.url("/api/queues"))
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let mail = listed
        .iter()
        .find(|queue| queue["name"] == "mail")
        .expect("mail listed");
    assert_eq!(
        mail["limits"],
        json!({"concurrency": 5, "per_key_limit": 2, "key_limits": {"gold": 10}})
    );
}

#[tokio::test]
async fn a_bad_file_stops_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "[queues.mail]\nconcurrency = 0\n",
            "queue \"mail\": concurrency must be between 1",
        ),
        ("[queues.mail]\nconcurrency = -3\n", "concurrency"),
        ("[queues.mail]\nper_key = 2\n", "unknown field `per_key`"),
    ];
    for (text, says) in cases {
        let path = dir.path().join("queues.toml");
        std::fs::write(&path, text).expect("write");
        let stderr = refused_start(&["--queues-file".as_ref(), path.as_os_str()]).await;
        assert!(stderr.contains(says), "{text}: {stderr}");
    }
}
