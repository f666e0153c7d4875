//! The server's black-box tests: HTTP against the app on a free port, and the
//! real `rustqueue` binary as a child process. One module per area, all in
//! one test binary, so that a build links the whole server once, not once
//! per file.

#[macro_use]
mod common;

mod backlog;
mod cli_client;
mod cli_queues;
mod cli_worker;
mod cluster;
mod crash_recovery;
mod cron_api;
mod cross_site;
mod docs_and_events;
mod embedded;
mod full_api;
mod hostile_input;
mod limits_cluster;
mod metrics;
mod original_api;
mod postgres_outage;
mod queue_limits;
mod queues_file;
mod shutdown;
mod throughput;
mod traceparent;
mod tracing;
mod worker_api;
mod worker_identity;
