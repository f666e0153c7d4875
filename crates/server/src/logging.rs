//! The server's log subscriber: the client's one-line records, plus spans
//! exported to OpenTelemetry when a tracer is given.

use opentelemetry_sdk::trace::Tracer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use rustqueue_client::logging::{LogFormat, LogTo, OneLine};
use rustqueue_client::logging::{filter, lines};

/// Installs the log subscriber: `RUST_LOG` (default `info`), text or JSON
/// lines, and spans exported to OpenTelemetry when a tracer is given. Colour
/// codes are written only to a terminal, and never with `NO_COLOR` set.
pub fn init(format: LogFormat, to: LogTo, tracer: Option<Tracer>) {
    let spans = tracer.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer));
    tracing_subscriber::registry()
        .with(filter())
        .with(lines(format, to))
        .with(spans)
        .init();
}
