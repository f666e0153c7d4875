//! The client subcommands: `worker`, `enqueue`, `tasks` and `queues`, the same in
//! `rustqueue` (beside `serve`) and in `rustqueue-client`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::logging::{self, LogTo};
use crate::queues::QueuesArgs;
use crate::tasks::{EnqueueArgs, TasksArgs};
use crate::worker::WorkerArgs;

/// A command that calls a server.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command for each task of some types, leased from a server (workers in any language).
    Worker(WorkerArgs),
    /// Enqueue one task on a server.
    Enqueue(EnqueueArgs),
    /// List, show, retry and delete a server's tasks, and show their history.
    Tasks(TasksArgs),
    /// List a server's queues; set their limits, pause and resume them.
    Queues(QueuesArgs),
}

impl Command {
    /// Runs the command to its end; the worker logs on stderr, leaving stdout alone.
    pub async fn run(self) -> ExitCode {
        match self {
            Command::Worker(args) => {
                logging::init(args.log_format, LogTo::Stderr);
                crate::worker::run(args).await
            }
            Command::Enqueue(args) => crate::tasks::enqueue(args).await,
            Command::Tasks(args) => crate::tasks::run(args).await,
            Command::Queues(args) => crate::queues::run(args).await,
        }
    }
}
