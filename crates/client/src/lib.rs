//! The RustQueue client: commands that talk to a running server over its
//! HTTP API, and the bodies both sides write. It links no store and no
//! HTTP server, so a worker machine builds only this.
//!
//! Layout:
//! - [`command`]: the client subcommands, shared by `rustqueue` and `rustqueue-client`.
//! - [`worker`]: `rustqueue worker`, which runs a command for each leased task.
//! - [`tasks`], [`bulk`]: `rustqueue enqueue` and `rustqueue tasks` (list, show, retry, delete, events, bulk).
//! - [`queues`]: `rustqueue queues` (list, limit, pause, resume).
//! - [`client`]: the server address, the token, and call errors the commands share.
//! - [`wire`]: request and answer bodies declared once, for the client and the server.
//! - [`pretty`], [`table`]: JSON and tables for people at a terminal.
//! - [`logging`]: one log record per line, as text or JSON.

pub mod bulk;
pub mod client;
pub mod command;
pub mod logging;
pub mod pretty;
pub mod queues;
pub mod table;
pub mod tasks;
pub mod wire;
pub mod worker;

pub use command::Command;
