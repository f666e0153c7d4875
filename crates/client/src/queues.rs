//! `rustqueue queues list|limit|pause|resume`: a server's queues, their
//! limits and their pause switch. Answers print as `rustqueue tasks` prints
//! them: the server's JSON, or a table for people with `--format table`.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::ExitCode;

use super::client::{ApiClient, ClientError, ServerArgs};
use super::table;
use super::tasks::{Failure, Format, fail, finish, path_segment, print_out};

/// Look at and steer queues: `rustqueue queues list|limit|pause|resume`.
#[derive(Debug, Args)]
pub struct QueuesArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    action: QueueAction,
}

/// What to do with queues.
#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Every queue: paused or not, its backlog, running tasks, limits and busiest keys.
    List {
        /// `json`: the list as the server sends it; `table`: aligned columns for people.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Replace a queue's limits, on every node at once; flags not given mean no such limit.
    Limit(LimitArgs),
    /// Start none of a queue's tasks (they are still accepted) until it is resumed.
    Pause {
        /// The queue name.
        name: String,
    },
    /// Start a paused queue's tasks again.
    Resume {
        /// The queue name.
        name: String,
    },
}

/// A queue's new limits: `rustqueue queues limit NAME --concurrency 5 --per-key 2 --key gold=10`.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// The queue name.
    name: String,
    /// At most this many of the queue's tasks run at once, cluster-wide.
    #[arg(long)]
    concurrency: Option<u32>,
    /// At most this many tasks of one concurrency key run at once.
    #[arg(long)]
    per_key: Option<u32>,
    /// A key with a limit of its own, as KEY=N (repeat for more keys).
    #[arg(long = "key", value_name = "KEY=N", value_parser = key_limit)]
    keys: Vec<(String, u32)>,
    /// Keys take turns: ready tasks of keys A, A, B start as A, B, A.
    #[arg(long)]
    round_robin: bool,
    /// Remove every limit of the queue.
    #[arg(long, conflicts_with_all = ["concurrency", "per_key", "keys", "round_robin"])]
    clear: bool,
}

/// The body of `PUT /api/queues/{name}/limits`.
#[derive(Debug, Serialize, PartialEq)]
struct Limits {
    #[serde(skip_serializing_if = "Option::is_none")]
    concurrency: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_key_limit: Option<u32>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    key_limits: BTreeMap<String, u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fairness: Option<&'static str>,
}

impl LimitArgs {
    /// The limits to send; no flag at all is refused, so that a bare
    /// `queues limit NAME` cannot remove limits by accident.
    fn limits(&self) -> Result<Limits, Failure> {
        let limits = Limits {
            concurrency: self.concurrency,
            per_key_limit: self.per_key,
            key_limits: self.keys.iter().cloned().collect(),
            fairness: self.round_robin.then_some("round_robin"),
        };
        if limits.key_limits.len() != self.keys.len() {
            return Err(Failure::Usage("a --key is given twice".into()));
        }
        let none = limits.concurrency.is_none()
            && limits.per_key_limit.is_none()
            && limits.key_limits.is_empty()
            && limits.fairness.is_none();
        if none && !self.clear {
            return Err(Failure::Usage(
                "say which limits: --concurrency, --per-key, --key KEY=N, --round-robin, \
                 or --clear to remove them"
                    .into(),
            ));
        }
        Ok(limits)
    }
}

/// `KEY=N` as a key and its limit; the last `=` splits, so a key may hold one.
fn key_limit(text: &str) -> Result<(String, u32), String> {
    let (key, limit) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("{text:?} is not KEY=N"))?;
    let limit = limit
        .parse()
        .map_err(|_| format!("the limit of {key:?} is not a whole number: {limit:?}"))?;
    Ok((key.to_owned(), limit))
}

/// Runs `rustqueue queues ...`.
pub async fn run(args: QueuesArgs) -> ExitCode {
    let result = match &args.action {
        QueueAction::List { format } => {
            let listed = list_text(&args.server).await;
            if *format == Format::Table {
                return finish_table(listed);
            }
            listed
        }
        QueueAction::Limit(limit) => set_limits(&args.server, limit).await,
        QueueAction::Pause { name } => switch(&args.server, name, "pause").await,
        QueueAction::Resume { name } => switch(&args.server, name, "resume").await,
    };
    finish(result)
}

async fn list_text(server: &ServerArgs) -> Result<String, Failure> {
    let client = ApiClient::new(server)?;
    Ok(client
        .send(client.request(Method::GET, "/api/queues"))
        .await?)
}

async fn set_limits(server: &ServerArgs, args: &LimitArgs) -> Result<String, Failure> {
    let body = args.limits()?;
    let client = ApiClient::new(server)?;
    let path = format!("/api/queues/{}/limits", path_segment(&args.name));
    Ok(client
        .send(client.with_json(Method::PUT, &path, &body))
        .await?)
}

async fn switch(server: &ServerArgs, name: &str, action: &str) -> Result<String, Failure> {
    let client = ApiClient::new(server)?;
    let path = format!("/api/queues/{}/{action}", path_segment(name));
    Ok(client.send(client.request(Method::POST, &path)).await?)
}

fn finish_table(result: Result<String, Failure>) -> ExitCode {
    let queues = result.and_then(|json| {
        serde_json::from_str::<Vec<Value>>(&json)
            .map_err(|error| Failure::Client(ClientError::Unexpected(error.to_string())))
    });
    match queues {
        Ok(queues) => print_out(&render(&queues)),
        Err(failure) => fail(failure),
    }
}

/// The queues as a table: one line per queue.
fn render(queues: &[Value]) -> String {
    const HEADER: [&str; 8] = [
        "QUEUE",
        "STATE",
        "READY",
        "RUNNING",
        "LIMIT",
        "PER KEY",
        "ORDER",
        "BUSIEST KEYS",
    ];
    let rows: Vec<Vec<String>> = queues
        .iter()
        .map(|queue| {
            let limits = &queue["limits"];
            let busiest: Vec<String> = queue["busiest_keys"]
                .as_array()
                .into_iter()
                .flatten()
                .take(3)
                .map(|usage| format!("{}:{}", table::text(&usage["key"]), usage["running"]))
                .collect();
            let state = if queue["paused"] == true {
                "paused"
            } else {
                "active"
            };
            vec![
                table::text(&queue["name"]),
                state.to_owned(),
                table::text(&queue["backlog"]["ready"]),
                table::text(&queue["counts"]["INPROGRESS"]),
                table::text(&limits["concurrency"]),
                per_key(limits),
                table::text(&limits["fairness"]),
                busiest.join(" "),
            ]
        })
        .collect();
    table::aligned(&HEADER, &rows)
}

/// The per-key limit and how many named keys have their own, as "2 (+1 key)".
fn per_key(limits: &Value) -> String {
    let named = limits["key_limits"]
        .as_object()
        .map_or(0, |keys| keys.len());
    let base = table::text(&limits["per_key_limit"]);
    match named {
        0 => base,
        1 => format!("{base} (+1 key)").trim_start().to_owned(),
        n => format!("{base} (+{n} keys)").trim_start().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        limit: LimitArgs,
    }

    fn limits(args: &[&str]) -> Result<Limits, Failure> {
        let cli = Cli::try_parse_from(std::iter::once("limit").chain(args.iter().copied()))
            .expect("flags parse");
        cli.limit.limits()
    }

    #[test]
    fn limits_come_from_the_flags_given() {
        let sent = limits(&[
            "mail",
            "--concurrency",
            "5",
            "--key",
            "gold=10",
            "--key",
            "a=b=2",
        ]);
        let sent = serde_json::to_value(sent.ok().expect("limits")).expect("json");
        assert_eq!(
            sent,
            json!({"concurrency": 5, "key_limits": {"gold": 10, "a=b": 2}})
        );
        let cleared = limits(&["mail", "--clear"]).ok().expect("limits");
        assert_eq!(serde_json::to_value(cleared).expect("json"), json!({}));
    }

    #[test]
    fn a_bare_limit_or_a_repeated_key_is_refused() {
        assert!(matches!(limits(&["mail"]), Err(Failure::Usage(_))));
        let twice = limits(&["mail", "--key", "a=1", "--key", "a=2"]);
        assert!(matches!(twice, Err(Failure::Usage(_))));
        let parsed = Cli::try_parse_from(["limit", "mail", "--key", "gold"]);
        assert!(parsed.is_err(), "KEY without =N parses");
        let parsed = Cli::try_parse_from(["limit", "mail", "--clear", "--per-key", "2"]);
        assert!(parsed.is_err(), "--clear with a limit parses");
        let parsed = Cli::try_parse_from(["limit", "mail", "--clear", "--round-robin"]);
        assert!(parsed.is_err(), "--clear with --round-robin parses");
    }

    #[test]
    fn the_table_shows_limits_and_busiest_keys() {
        let queues = [
            json!({"name": "api", "paused": false, "backlog": {"ready": 4}, "counts": {"INPROGRESS": 2},
                   "limits": {"concurrency": 2, "per_key_limit": 1, "key_limits": {"gold": 3},
                              "fairness": "round_robin"},
                   "busiest_keys": [{"key": "acme", "running": 1}, {"key": "zeta", "running": 1}]}),
            json!({"name": "mail", "paused": true, "backlog": {"ready": 0}, "counts": {"INPROGRESS": 0},
                   "limits": {}, "busiest_keys": []}),
        ];
        let table = render(&queues);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "QUEUE  STATE   READY  RUNNING  LIMIT  PER KEY     ORDER        BUSIEST KEYS"
        );
        assert_eq!(
            lines[1],
            "api    active  4      2        2      1 (+1 key)  round_robin  acme:1 zeta:1"
        );
        assert_eq!(lines[2], "mail   paused  0      0");
    }
}
