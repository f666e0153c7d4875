//! Which text format a scrape gets, chosen by its `Accept` header, and the
//! Prometheus 0.0.4 text made from the OpenMetrics text the registry writes.
//!
//! Prometheus asks for OpenMetrics first; `promtool check metrics`, curl and
//! older scrapers ask for nothing or for `text/plain`, and get 0.0.4. The two
//! differ here only in what the registry writes for counters: OpenMetrics
//! names the family `x` and its sample `x_total`, while 0.0.4 has no family
//! name apart from its samples, so HELP and TYPE must name `x_total` too;
//! and 0.0.4 has no `# UNIT` lines and no `# EOF`.

use std::collections::HashSet;

/// The content type of the OpenMetrics text format.
pub(super) const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of the Prometheus text format.
pub(super) const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// True when `accept` prefers OpenMetrics to the Prometheus text format: its
/// best quality for `application/openmetrics-text` is above zero and at least
/// that of `text/plain` (or a wildcard covering it). No header means text.
pub(super) fn wants_openmetrics(accept: Option<&str>) -> bool {
    let (mut openmetrics, mut text) = (0.0_f32, 0.0_f32);
    for range in accept.unwrap_or("").split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, q)| q.trim().parse().unwrap_or(0.0));
        match media.as_str() {
            "application/openmetrics-text" => openmetrics = openmetrics.max(quality),
            "text/plain" | "text/*" | "*/*" => text = text.max(quality),
            _ => {}
        }
    }
    openmetrics > 0.0 && openmetrics >= text
}

/// The Prometheus 0.0.4 text of an OpenMetrics exposition.
pub(super) fn to_text(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut text = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        match comment_family(line) {
            Some((keyword, family, rest)) if counters.contains(family) => {
                text.push_str(&format!("# {keyword} {family}_total{rest}"));
            }
            _ => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

/// A `# HELP` or `# TYPE` line as (keyword, family, the rest of the line).
fn comment_family(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_prefix("# ")?;
    let (keyword, rest) = rest.split_once(' ')?;
    if keyword != "HELP" && keyword != "TYPE" {
        return None;
    }
    let end = rest.find(' ').unwrap_or(rest.len());
    Some((keyword, &rest[..end], &rest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_only_when_preferred() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                          version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(Some(prometheus)));
        assert!(wants_openmetrics(Some("application/openmetrics-text")));
        assert!(!wants_openmetrics(None));
        assert!(!wants_openmetrics(Some("*/*")));
        assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(Some(
            "application/openmetrics-text;q=0.2, text/plain;q=0.9"
        )));
        assert!(!wants_openmetrics(Some("application/openmetrics-text;q=0")));
    }

    #[test]
    fn counters_are_named_by_their_samples_in_text() {
        let openmetrics = "# HELP a_transitions Task transitions.\n\
                           # TYPE a_transitions counter\n\
                           a_transitions_total{kind=\"x\"} 1\n\
                           # HELP a_up Up.\n# TYPE a_up gauge\n# UNIT a_up seconds\na_up 1\n# EOF\n";
        assert_eq!(
            to_text(openmetrics),
            "# HELP a_transitions_total Task transitions.\n\
             # TYPE a_transitions_total counter\n\
             a_transitions_total{kind=\"x\"} 1\n\
             # HELP a_up Up.\n# TYPE a_up gauge\na_up 1\n"
        );
    }
}
