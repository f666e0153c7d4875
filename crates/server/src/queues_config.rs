//! Queue limits from a file (`--queues-file`, TOML or JSON), checked when the
//! flags are read, so that bad limits stop the server before it starts.
//!
//! ```toml
//! [queues.emails]
//! concurrency = 5            # at most 5 running on every node together
//!
//! [queues.api-calls]
//! per_key_limit = 2          # at most 2 per concurrency_key ...
//! key_limits = { gold = 10 } # ... but 10 for the key "gold"
//! fairness = "round_robin"   # keys take turns
//! ```
//!
//! Limits set at run time (`PUT /api/queues/{name}/limits`) last until the
//! next start, when the file's limits are applied again; queues the file does
//! not name keep theirs.

use std::collections::BTreeMap;

use rustqueue_core::engine::check_queue_limits;
use rustqueue_core::limits::QueueLimits;
use serde::Deserialize;

use crate::cron_config::read_settings_file;

/// The limits a queues file sets, by queue name.
#[derive(Debug, Clone, Default)]
pub struct QueuesFile(pub BTreeMap<String, QueueLimits>);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    queues: BTreeMap<String, QueueLimits>,
}

/// Reads a queues file: `.json` as JSON, anything else as TOML.
pub fn queues_file(path: &str) -> Result<QueuesFile, String> {
    let spec: FileSpec = read_settings_file(path)?;
    for (name, limits) in &spec.queues {
        check_queue_limits(name, limits).map_err(|error| format!("{path}: {error}"))?;
    }
    Ok(QueuesFile(spec.queues))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> Result<QueuesFile, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        queues_file(path.to_str().expect("utf-8"))
    }

    #[test]
    fn a_toml_file_sets_each_queues_limits() {
        let QueuesFile(queues) = read(
            "queues.toml",
            "[queues.emails]\nconcurrency = 5\n\n[queues.api]\nper_key_limit = 2\nkey_limits = { gold = 10 }\nfairness = \"round_robin\"\n",
        )
        .expect("valid file");
        assert_eq!(queues["emails"].concurrency, Some(5));
        assert!(queues["api"].is_round_robin() && !queues["emails"].is_round_robin());
        assert_eq!(queues["api"].key_limit("gold"), Some(10));
        assert_eq!(queues["api"].key_limit("other"), Some(2));
    }

    #[test]
    fn a_json_file_is_read_as_json() {
        let QueuesFile(queues) = read(
            "queues.json",
            r#"{"queues": {"emails": {"concurrency": 3}}}"#,
        )
        .expect("valid");
        assert_eq!(queues["emails"].concurrency, Some(3));
    }

    #[test]
    fn bad_limits_are_refused_with_the_queue_and_field_named() {
        let cases = [
            (
                "[queues.emails]\nconcurrency = 0\n",
                "queue \"emails\": concurrency",
            ),
            ("[queues.emails]\nconcurrency = -1\n", "concurrency"),
            ("[queues.emails]\nconcurency = 2\n", "concurency"),
            ("[queues.api]\nkey_limits = { gold = 0 }\n", "gold"),
            ("[queue.emails]\nconcurrency = 2\n", "queue"),
            ("[queues.api]\nfairness = \"lifo\"\n", "lifo"),
        ];
        for (text, says) in cases {
            let error = read("queues.toml", text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
        let missing = queues_file("/nonexistent/queues.toml").expect_err("no file");
        assert!(missing.contains("cannot read"), "{missing}");
    }
}
