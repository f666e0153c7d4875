//! How a SQLite store is opened: durability and pool settings, and `sqlite://` URLs.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::errors::OpenError;

/// How hard SQLite works to make each commit durable (`PRAGMA synchronous`, in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Commits survive a crash or `kill -9` of the process; the last ones may
    /// be lost on power loss or an OS crash. RustQueue's guarantee, and fast.
    #[default]
    Normal,
    /// Every commit is flushed to the disk: survives power loss too.
    Full,
    /// Like `Full`, and also syncs the directory after WAL resets.
    Extra,
}

impl Synchronous {
    /// The value for `PRAGMA synchronous`.
    pub fn as_pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
            Synchronous::Extra => "EXTRA",
        }
    }
}

/// The text was not `normal`, `full` or `extra`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown synchronous mode {0:?} (expected normal, full or extra)")]
pub struct UnknownSynchronous(pub String);

impl FromStr for Synchronous {
    type Err = UnknownSynchronous;

    /// Parses a mode in any letter case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Synchronous::Normal, Synchronous::Full, Synchronous::Extra]
            .into_iter()
            .find(|mode| mode.as_pragma().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSynchronous(s.to_owned()))
    }
}

/// Settings for [`SqliteStore::open`](crate::SqliteStore::open).
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Durability of each commit; see [`Synchronous`].
    pub synchronous: Synchronous,
    /// The most read connections open at once (reads run concurrently in WAL mode).
    pub read_connections: usize,
    /// How long a statement waits for a lock before giving up as unavailable.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Normal,
            read_connections: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// The file named by a `sqlite://` URL: `sqlite://rustqueue.db` is relative to
/// the working directory, `sqlite:///var/lib/rq.db` is absolute (`sqlite:path` works too).
pub fn path_from_url(url: &str) -> Result<PathBuf, OpenError> {
    let invalid = |reason| OpenError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let rest = url
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("sqlite:"))
        .map(|_| &url[7..])
        .ok_or_else(|| invalid("it does not start with sqlite://"))?;
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() {
        return Err(invalid("it names no file"));
    }
    if path.contains('?') || path.contains('#') {
        return Err(invalid("query parameters are not supported"));
    }
    if path == ":memory:" {
        return Err(invalid(
            "in-memory SQLite is not durable; use memory:// instead",
        ));
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_relative_and_absolute_files() {
        let path = |url| path_from_url(url).expect("valid url");
        assert_eq!(path("sqlite://rustqueue.db"), PathBuf::from("rustqueue.db"));
        assert_eq!(
            path("sqlite://data/queue.db"),
            PathBuf::from("data/queue.db")
        );
        assert_eq!(
            path("sqlite:///var/lib/rq.db"),
            PathBuf::from("/var/lib/rq.db")
        );
        assert_eq!(path("sqlite:rq.db"), PathBuf::from("rq.db"));
        assert_eq!(path("SQLite://rq.db"), PathBuf::from("rq.db"));
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        for url in [
            "postgres://x",
            "sqlite://",
            "sqlite:",
            "sqlite://a.db?mode=ro",
            "sqlite://:memory:",
            "",
            "rq.db",
        ] {
            let err = path_from_url(url).expect_err(url);
            assert!(matches!(err, OpenError::InvalidUrl { .. }), "{url}: {err}");
        }
    }

    #[test]
    fn synchronous_parses_in_any_case() {
        assert_eq!("full".parse(), Ok(Synchronous::Full));
        assert_eq!("NORMAL".parse(), Ok(Synchronous::Normal));
        assert!("off".parse::<Synchronous>().is_err());
        assert_eq!(SqliteOptions::default().synchronous, Synchronous::Normal);
    }
}
