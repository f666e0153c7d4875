//! Log lines for people and for log shippers: one line per record whatever
//! the message holds, and colour only on a terminal.

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where log lines go: the server logs on stdout, as it always has; the
/// worker on stderr, leaving stdout alone as command-line tools do.
#[derive(Debug, Clone, Copy)]
pub enum LogTo {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl LogTo {
    fn is_terminal(self) -> bool {
        match self {
            LogTo::Stdout => io::stdout().is_terminal(),
            LogTo::Stderr => io::stderr().is_terminal(),
        }
    }
}

impl<'a> MakeWriter<'a> for LogTo {
    type Writer = OneLine<Box<dyn Write + 'a>>;

    fn make_writer(&'a self) -> Self::Writer {
        let inner: Box<dyn Write> = match self {
            LogTo::Stdout => Box::new(io::stdout().lock()),
            LogTo::Stderr => Box::new(io::stderr().lock()),
        };
        OneLine(inner)
    }
}

/// Writes each record on one line: a newline inside it (a command's stderr
/// in an error, say) becomes `\n`. The formatter hands over one whole record
/// per write, so only the record's last newline is real.
#[derive(Debug)]
pub struct OneLine<W>(W);

impl<W: Write> Write for OneLine<W> {
    fn write(&mut self, record: &[u8]) -> io::Result<usize> {
        let (body, end) = match record.strip_suffix(b"\n") {
            Some(body) => (body, &b"\n"[..]),
            None => (record, &b""[..]),
        };
        if !body.contains(&b'\n') {
            self.0.write_all(record)?;
            return Ok(record.len());
        }
        let mut line = Vec::with_capacity(record.len() + 16);
        for &byte in body {
            match byte {
                b'\n' => line.extend_from_slice(b"\\n"),
                b'\r' => line.extend_from_slice(b"\\r"),
                other => line.push(other),
            }
        }
        line.extend_from_slice(end);
        self.0.write_all(&line)?;
        Ok(record.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// The `RUST_LOG` filter, `info` when unset.
pub fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The layer that writes records as text or JSON lines to `to`; colour codes
/// are written only to a terminal, and never with `NO_COLOR` set.
pub fn lines<S>(format: LogFormat, to: LogTo) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let colour = to.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(to)
        .with_ansi(colour);
    match format {
        LogFormat::Text => lines.boxed(),
        LogFormat::Json => lines.json().boxed(),
    }
}

/// Installs the log subscriber of a client command: `RUST_LOG` (default
/// `info`), text or JSON lines.
pub fn init(format: LogFormat, to: LogTo) {
    tracing_subscriber::registry()
        .with(filter())
        .with(lines(format, to))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_line(record: &str) -> String {
        let mut out = OneLine(Vec::new());
        let written = out.write(record.as_bytes()).expect("write");
        assert_eq!(written, record.len(), "the whole record is taken");
        String::from_utf8(out.0).expect("utf-8")
    }

    #[test]
    fn a_record_with_newlines_stays_one_line() {
        assert_eq!(one_line("plain record\n"), "plain record\n");
        assert_eq!(
            one_line("attempt failed: exit 1\nTraceback\r\n  line 2\n"),
            "attempt failed: exit 1\\nTraceback\\r\\n  line 2\n"
        );
        assert_eq!(one_line("no end\nat all"), "no end\\nat all");
    }
}
