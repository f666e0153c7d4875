//! Who holds a lease: this node's own identity for its attempts, and the
//! rules for the id a remote worker gives itself.

use crate::error::EngineError;

/// How the lease holder of a server node's own attempts begins; a remote
/// worker's id may not begin so, or start-up recovery would take its tasks
/// for a dead node's.
pub const NODE_HOLDER_PREFIX: &str = "node:";

/// The id of a remote worker that gives none.
pub const DEFAULT_WORKER_ID: &str = "anonymous";

/// The longest worker id, in bytes.
pub const MAX_WORKER_ID_LEN: usize = 255;

/// This machine's host name, or `"localhost"` when it cannot be read.
pub fn hostname() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    from_kernel
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A new identity for this process's attempts:
/// `node:<hostname>:<pid>:<start id>`. The start id tells two processes apart
/// even when a restarted one reuses the pid (as in a container).
pub(super) fn node_identity() -> String {
    let start = uuid::Uuid::now_v7().simple().to_string();
    // The random tail of a v7 id: its first 16 digits are the start time.
    let start = &start[start.len() - 12..];
    format!(
        "{NODE_HOLDER_PREFIX}{}:{}:{start}",
        hostname(),
        std::process::id()
    )
}

/// Checks a remote worker's id: 1 to 255 bytes, no control characters, not
/// a node's identity.
pub fn check_worker_id(id: &str) -> Result<(), EngineError> {
    if id.is_empty() || id.len() > MAX_WORKER_ID_LEN {
        return Err(EngineError::Invalid(format!(
            "worker_id must be 1 to {MAX_WORKER_ID_LEN} bytes"
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(EngineError::Invalid(
            "worker_id may not contain control characters".into(),
        ));
    }
    if id.starts_with(NODE_HOLDER_PREFIX) {
        return Err(EngineError::Invalid(format!(
            "worker_id may not begin with {NODE_HOLDER_PREFIX:?} (kept for server nodes)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_identities_are_node_holders_and_differ_per_start() {
        let (a, b) = (node_identity(), node_identity());
        assert!(a.starts_with(NODE_HOLDER_PREFIX), "{a}");
        assert_ne!(a, b);
        assert!(check_worker_id(&a).is_err());
    }

    #[test]
    fn worker_ids_are_checked() {
        assert!(check_worker_id("host-1:4242").is_ok());
        assert!(check_worker_id(DEFAULT_WORKER_ID).is_ok());
        assert!(check_worker_id("").is_err());
        assert!(check_worker_id(&"w".repeat(256)).is_err());
        assert!(check_worker_id(&"w".repeat(255)).is_ok());
        assert!(check_worker_id("a\nb").is_err());
    }
}
