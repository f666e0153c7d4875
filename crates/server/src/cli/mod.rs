//! The client side of the `rustqueue` binary: commands that talk to a
//! running server over its HTTP API.
//!
//! Layout:
//! - [`worker`]: `rustqueue worker`, which runs a command for each leased task.
//! - [`tasks`]: `rustqueue enqueue` and `rustqueue tasks` (list, show, retry, delete, events).
//! - [`client`]: the server address, the token, and call errors the commands share.
//! - [`pretty`], [`table`]: JSON and tables for people at a terminal.

pub mod bulk;
pub mod client;
pub mod pretty;
pub mod table;
pub mod tasks;
pub mod worker;
