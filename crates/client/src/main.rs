//! The `rustqueue-client` command: `rustqueue` without `serve`, for machines
//! that only enqueue, steer or run tasks.

use clap::Parser;
use rustqueue_client::Command;

/// RustQueue's client: enqueue and steer tasks, and run workers, against a server.
#[derive(Debug, Parser)]
#[command(
    name = "rustqueue-client",
    version,
    about = "RustQueue's client: enqueue and steer tasks on a server, and run workers for them."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Cli::parse().command.run().await
}
