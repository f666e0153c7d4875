//! The `rustqueue` command.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use rustqueue_server::config::ServeArgs;
use rustqueue_server::logging::{self, LogTo};
use rustqueue_server::telemetry;

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
    // worker, enqueue and tasks: the commands of `rustqueue-client`.
    #[command(flatten)]
    Client(rustqueue_client::Command),
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
    match parse_cli().command {
        Command::Serve(args) => serve(args).await,
        Command::Client(command) => command.run().await,
    }
}

async fn serve(args: ServeArgs) -> std::process::ExitCode {
    let endpoint = args.otlp_endpoint.as_deref().filter(|url| !url.is_empty());
    let traces = match endpoint.map(telemetry::otlp_provider).transpose() {
        Ok(traces) => traces,
        Err(error) => {
            eprintln!("rustqueue: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    logging::init(
        args.log_format,
        LogTo::Stdout,
        traces.as_ref().map(telemetry::tracer),
    );
    let code = match rustqueue_server::serve::serve(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Said once, on stderr as command-line tools do (it used to be
        // logged on stdout too, so a terminal showed it twice).
        Err(error) => {
            eprintln!("rustqueue: {error}");
            std::process::ExitCode::FAILURE
        }
    };
    if let Some(traces) = traces {
        // Sends the last spans; it blocks, so off the async workers.
        let flushed = tokio::task::spawn_blocking(move || traces.shutdown()).await;
        if let Ok(Err(error)) = flushed {
            eprintln!("rustqueue: the last traces were not sent: {error}");
        }
    }
    code
}
