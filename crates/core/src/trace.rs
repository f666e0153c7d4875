//! The W3C trace context a task carries from the request that enqueued it to
//! its attempts, so one distributed trace shows both.
//!
//! The core knows no OpenTelemetry: it keeps the `traceparent` text, and the
//! server gives the engine a [`LinkSpan`] that makes it an attempt span's parent.

/// Makes the W3C `traceparent` (second argument) the parent of an attempt's span.
pub type LinkSpan = fn(&tracing::Span, &str);

/// The `traceparent` in its canonical lower-case form, or `None` when it is
/// not one (W3C Trace Context: a bad header is ignored, not an error).
///
/// Accepts version `00` exactly and, as the spec asks, later versions by
/// their first four fields; all-zero trace or parent ids are invalid.
pub fn parse_traceparent(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_lowercase();
    let fields: Vec<&str> = text.splitn(5, '-').collect();
    let [version, trace_id, parent_id, flags, rest @ ..] = fields.as_slice() else {
        return None;
    };
    let hex = |field: &str, len: usize| {
        field.len() == len && field.bytes().all(|b| b.is_ascii_hexdigit())
    };
    let zero = |field: &str| field.bytes().all(|b| b == b'0');
    let well_formed = hex(version, 2)
        && *version != "ff"
        && hex(trace_id, 32)
        && !zero(trace_id)
        && hex(parent_id, 16)
        && !zero(parent_id)
        && hex(flags, 2)
        && (rest.is_empty() || *version != "00");
    well_formed.then(|| format!("{version}-{trace_id}-{parent_id}-{flags}"))
}

#[cfg(test)]
mod tests {
    use super::parse_traceparent;

    const GOOD: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_well_formed_traceparent_is_kept() {
        assert_eq!(parse_traceparent(GOOD).as_deref(), Some(GOOD));
        assert_eq!(
            parse_traceparent(&format!(" {} ", GOOD.to_uppercase())).as_deref(),
            Some(GOOD)
        );
        // A future version may add fields; its first four are kept.
        assert_eq!(
            parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-zz")
                .as_deref(),
            Some("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
    }

    #[test]
    fn a_malformed_traceparent_is_ignored() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
        ] {
            assert_eq!(parse_traceparent(bad), None, "{bad:?}");
        }
    }
}
