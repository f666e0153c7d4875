//! Request and answer bodies declared once: the server reads what the
//! client writes, and the other way round, from the same types. With the
//! `openapi` feature they also describe themselves for the OpenAPI document.
//!
//! Layout:
//! - [`worker`]: the worker protocol (lease, heartbeat, complete, fail, finish, release).

pub mod worker;
