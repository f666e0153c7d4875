//! `rustqueue enqueue` and `rustqueue tasks`: a command-line client over the
//! task API. Answers are the server's JSON, one document on stdout, indented
//! when stdout is a terminal and as the server sent it otherwise (for pipes);
//! errors print the server's `detail` on stderr and exit non-zero.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde::Serialize;
use serde_json::value::RawValue;

use super::client::{ApiClient, ClientError, ServerArgs};
use super::{pretty, table};

/// Exit status when the server refused a call or could not be reached.
const EXIT_FAILED: u8 = 1;
/// Exit status for input the client itself refuses (as clap does for bad flags).
const EXIT_USAGE: u8 = 2;

/// Enqueue one task: `rustqueue enqueue TYPE [PAYLOAD]`.
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// The task type.
    #[arg(value_name = "TYPE")]
    task_type: String,
    /// The payload as JSON text (`'{"to": "a@b.c"}'`, `'"text"'`), or `-` to read it from stdin; null when absent.
    payload: Option<String>,
    /// The queue (the server's default: `default`).
    #[arg(long)]
    queue: Option<String>,
    /// Higher runs sooner (default 0).
    #[arg(long, allow_negative_numbers = true)]
    priority: Option<i32>,
    /// The most attempts in total (default 3).
    #[arg(long)]
    max_retries: Option<u32>,
    /// Not before this many milliseconds from now.
    #[arg(long, conflicts_with = "run_at")]
    delay_ms: Option<u64>,
    /// Not before this time (ISO-8601, e.g. 2030-01-01T00:00:00Z).
    #[arg(long)]
    run_at: Option<String>,
    /// While a task with this key is queued or running, enqueueing the key again returns that task.
    #[arg(long)]
    unique_key: Option<String>,
    /// Per-attempt timeout in milliseconds (default: the server's, or the worker's).
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// The key the queue's per-key limit counts the task under.
    #[arg(long)]
    concurrency_key: Option<String>,
}

/// The body of `POST /api/tasks`; absent fields take the server's defaults.
#[derive(Debug, Serialize)]
struct NewTask<'a> {
    #[serde(rename = "type")]
    task_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    concurrency_key: Option<&'a str>,
}

/// Look at and steer tasks: `rustqueue tasks list|show|retry|delete|events`.
#[derive(Debug, Args)]
pub struct TasksArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    action: TaskAction,
}

/// What to do with tasks.
#[derive(Debug, Subcommand)]
pub enum TaskAction {
    /// A page of tasks (newest first by default), filtered.
    List(ListArgs),
    /// One task with every field.
    Show {
        /// The task id.
        id: String,
    },
    /// Queue a FAILED task again with a fresh attempt budget (its history is kept).
    Retry {
        /// The task id.
        id: String,
    },
    /// Delete a task and its history; a running attempt is cancelled.
    Delete {
        /// The task id.
        id: String,
    },
    /// A task's history, oldest first: one event per transition.
    Events {
        /// The task id.
        id: String,
    },
    /// Queue every selected FAILED task again: by --ids, by filter flags, or --all.
    BulkRetry(super::bulk::BulkArgs),
    /// Delete every selected task and its history, running ones included:
    /// by --ids, by filter flags, or --all.
    BulkDelete(super::bulk::BulkArgs),
}

/// Which tasks: every flag narrows the selection.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this status: queued, inprogress, completed or failed.
    #[arg(long)]
    status: Option<String>,
    /// Only this task type.
    #[arg(long = "type", value_name = "TYPE")]
    task_type: Option<String>,
    /// Only this queue.
    #[arg(long)]
    queue: Option<String>,
    /// Only tasks whose id or payload contains this text (3 characters or more).
    #[arg(long)]
    search: Option<String>,
    /// Only tasks created at or after this time (ISO-8601).
    #[arg(long)]
    created_after: Option<String>,
    /// Only tasks created before this time (ISO-8601).
    #[arg(long)]
    created_before: Option<String>,
}

impl FilterArgs {
    /// The flags given, as the API's filter keys and values.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("status", self.status.as_deref()),
            ("type", self.task_type.as_deref()),
            ("queue", self.queue.as_deref()),
            ("q", self.search.as_deref()),
            ("created_after", self.created_after.as_deref()),
            ("created_before", self.created_before.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect()
    }
}

/// Filters and paging of `tasks list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Newest or oldest first.
    #[arg(long, value_enum, default_value_t = Order::Newest)]
    order: Order,
    /// Tasks per page, 1 to 500.
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// The `next_cursor` of the previous page.
    #[arg(long)]
    cursor: Option<String>,
    /// `json`: the page as the server sends it; `table`: aligned columns for people.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

/// Which way a list goes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Order {
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

/// How a list is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON document: `{"tasks": [...], "next_cursor": ...}`.
    Json,
    /// A text table; the next page's cursor goes to stderr.
    Table,
}

/// Why a command failed, and so its exit status.
pub(super) enum Failure {
    Usage(String),
    Client(ClientError),
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self::Client(error)
    }
}

/// Runs `rustqueue enqueue`; prints `{"task", "duplicate"}`.
pub async fn enqueue(args: EnqueueArgs) -> ExitCode {
    finish(enqueue_text(&args).await)
}

/// Runs `rustqueue tasks ...`.
pub async fn run(args: TasksArgs) -> ExitCode {
    let result = match &args.action {
        TaskAction::List(list) if list.format == Format::Table => {
            return finish_table(list_text(&args.server, list).await);
        }
        TaskAction::List(list) => list_text(&args.server, list).await,
        TaskAction::Show { id } => by_id(&args.server, Method::GET, id, "").await,
        TaskAction::Retry { id } => by_id(&args.server, Method::POST, id, "/retry").await,
        TaskAction::Delete { id } => by_id(&args.server, Method::DELETE, id, "").await,
        TaskAction::Events { id } => by_id(&args.server, Method::GET, id, "/events").await,
        TaskAction::BulkRetry(bulk) => super::bulk::send(&args.server, "retry", bulk).await,
        TaskAction::BulkDelete(bulk) => super::bulk::send(&args.server, "delete", bulk).await,
    };
    finish(result)
}

async fn enqueue_text(args: &EnqueueArgs) -> Result<String, Failure> {
    let client = ApiClient::new(&args.server)?;
    let payload = args.payload.as_deref().map(read_payload).transpose()?;
    let body = NewTask {
        task_type: &args.task_type,
        payload,
        queue: args.queue.as_deref(),
        priority: args.priority,
        max_retries: args.max_retries,
        delay_ms: args.delay_ms,
        run_at: args.run_at.as_deref(),
        unique_key: args.unique_key.as_deref(),
        timeout_ms: args.timeout_ms,
        concurrency_key: args.concurrency_key.as_deref(),
    };
    let request = client.with_json(Method::POST, "/api/tasks", &body);
    Ok(client.send(request).await?)
}

/// The payload argument as JSON, kept byte for byte; `-` reads stdin.
fn read_payload(argument: &str) -> Result<Box<RawValue>, Failure> {
    let text = if argument == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| {
                Failure::Usage(format!("cannot read the payload from stdin: {error}"))
            })?;
        text
    } else {
        argument.to_owned()
    };
    serde_json::from_str(text.trim()).map_err(|error| {
        Failure::Usage(format!(
            "the payload is not JSON ({error}); quote text as JSON, e.g. '\"hello\"'"
        ))
    })
}

async fn list_text(server: &ServerArgs, list: &ListArgs) -> Result<String, Failure> {
    let client = ApiClient::new(server)?;
    let order = match list.order {
        Order::Newest => "newest",
        Order::Oldest => "oldest",
    };
    let mut query: Vec<(&str, String)> = list
        .filter
        .pairs()
        .into_iter()
        .chain(list.cursor.as_deref().map(|cursor| ("cursor", cursor)))
        .chain([("order", order)])
        .map(|(name, value)| (name, value.to_owned()))
        .collect();
    query.push(("limit", list.limit.to_string()));
    let request = client.request(Method::GET, "/api/tasks").query(&query);
    Ok(client.send(request).await?)
}

async fn by_id(
    server: &ServerArgs,
    method: Method,
    id: &str,
    suffix: &str,
) -> Result<String, Failure> {
    let client = ApiClient::new(server)?;
    let path = format!("/api/tasks/{}{suffix}", path_segment(id));
    Ok(client.send(client.request(method, &path)).await?)
}

/// An id as one path segment: anything but unreserved characters is
/// percent-encoded, so an id with `/` or `?` cannot reach another route.
pub(super) fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Prints the answer, or the error; the exit status says which.
pub(super) fn finish(result: Result<String, Failure>) -> ExitCode {
    match result {
        Ok(json) => {
            let text = match std::io::stdout().is_terminal() {
                true => pretty::indent(&json),
                false => json.trim().to_owned(),
            };
            print_out(&format!("{text}\n"))
        }
        Err(failure) => fail(failure),
    }
}

fn finish_table(result: Result<String, Failure>) -> ExitCode {
    #[derive(serde::Deserialize)]
    struct Page {
        tasks: Vec<serde_json::Value>,
        next_cursor: Option<String>,
    }
    let page = result.and_then(|json| {
        serde_json::from_str::<Page>(&json)
            .map_err(|error| Failure::Client(ClientError::Unexpected(error.to_string())))
    });
    match page {
        Ok(page) => {
            if let Some(cursor) = page.next_cursor {
                eprintln!("more tasks: add --cursor {cursor}");
            }
            print_out(&table::render(&page.tasks))
        }
        Err(failure) => fail(failure),
    }
}

pub(super) fn print_out(text: &str) -> ExitCode {
    // A closed pipe (`| head`) is not worth a panic or an error message.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

pub(super) fn fail(failure: Failure) -> ExitCode {
    let (message, status) = match failure {
        Failure::Usage(message) | Failure::Client(ClientError::Invalid(message)) => {
            (message, EXIT_USAGE)
        }
        Failure::Client(error) => (error.to_string(), EXIT_FAILED),
    };
    eprintln!("rustqueue: {message}");
    ExitCode::from(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(path_segment("01a2-b_c.d~"), "01a2-b_c.d~");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
    }

    #[test]
    fn payloads_must_be_json_and_are_kept_as_written() {
        let raw = read_payload(r#" {"b": 1, "a": 1.50} "#).ok().expect("json");
        assert_eq!(raw.get(), r#"{"b": 1, "a": 1.50}"#);
        assert!(matches!(read_payload("hello"), Err(Failure::Usage(_))));
    }
}
