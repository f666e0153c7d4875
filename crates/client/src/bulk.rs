//! `rustqueue tasks bulk-retry|bulk-delete`: many tasks at once, chosen by
//! ids, by filter flags, or all of them, never by accident.

use clap::Args;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::client::{ApiClient, ServerArgs};
use super::tasks::{Failure, FilterArgs};

/// Which tasks a bulk command touches: exactly one of `--ids`, filter flags or `--all`.
#[derive(Debug, Args)]
pub struct BulkArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// These task ids (comma-separated).
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    ids: Vec<String>,
    /// Every task in the store, running ones included.
    #[arg(long)]
    all: bool,
}

impl BulkArgs {
    /// The request body, refusing a selection that is empty or mixed.
    fn body(&self) -> Result<Value, Failure> {
        let filter: Map<String, Value> = self
            .filter
            .pairs()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::from(value)))
            .collect();
        match (!self.ids.is_empty(), !filter.is_empty(), self.all) {
            (true, false, false) => Ok(json!({ "ids": self.ids })),
            (false, true, false) => Ok(json!({ "filter": filter })),
            (false, false, true) => Ok(json!({ "all": true })),
            (false, false, false) => Err(Failure::Usage(
                "say which tasks: --ids, a filter (--status, --type, --queue, --search, \
                 --created-after, --created-before), or --all for every task"
                    .into(),
            )),
            _ => Err(Failure::Usage(
                "give exactly one of --ids, filter flags or --all".into(),
            )),
        }
    }
}

/// Sends `POST /api/tasks/bulk/<action>` with the selection.
pub(super) async fn send(
    server: &ServerArgs,
    action: &str,
    args: &BulkArgs,
) -> Result<String, Failure> {
    let body = args.body()?;
    let client = ApiClient::new(server)?;
    let path = format!("/api/tasks/bulk/{action}");
    Ok(client
        .send(client.with_json(Method::POST, &path, &body))
        .await?)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        bulk: BulkArgs,
    }

    fn body(args: &[&str]) -> Result<Value, Failure> {
        let cli = Cli::try_parse_from(std::iter::once("bulk").chain(args.iter().copied()))
            .expect("flags parse");
        cli.bulk.body()
    }

    #[test]
    fn exactly_one_selection_is_sent() {
        assert_eq!(
            body(&["--status", "failed", "--queue", "mail"]).ok(),
            Some(json!({"filter": {"status": "failed", "queue": "mail"}}))
        );
        assert_eq!(
            body(&["--ids", "a,b"]).ok(),
            Some(json!({"ids": ["a", "b"]}))
        );
        assert_eq!(body(&["--all"]).ok(), Some(json!({"all": true})));
        assert!(matches!(body(&[]), Err(Failure::Usage(_))));
        assert!(matches!(
            body(&["--all", "--status", "failed"]),
            Err(Failure::Usage(_))
        ));
    }
}
