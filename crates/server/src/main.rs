//! The `rustqueue` command.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use rustqueue_server::config::{LogFormat, ServeArgs};
use tracing_subscriber::EnvFilter;

/// RustQueue: a durable task queue server with a dashboard.
#[derive(Debug, Parser)]
#[command(
    name = "rustqueue",
    version,
    about = "RustQueue: a durable task queue server. Enqueue over HTTP, workers run tasks, failures are retried."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server: HTTP API, dashboard and workers.
    Serve(ServeArgs),
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The top-level help also lists every setting of `serve`, so `rustqueue --help` documents them all.
fn parse_cli() -> Cli {
    let mut serve =
        ServeArgs::augment_args(clap::Command::new("rustqueue serve")).help_template("{all-args}");
    let settings = serve.render_help();
    let command = Cli::command().after_help(format!(
        "Settings of `rustqueue serve` (flag or environment variable):\n{settings}"
    ));
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Command::Serve(args) = parse_cli().command;
    init_logging(args.log_format);
    match rustqueue_server::serve::serve(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("rustqueue: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
