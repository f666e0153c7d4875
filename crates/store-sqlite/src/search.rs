//! Substring search over ids and payloads: keeping `task_search` (an FTS5
//! trigram index) in step with `tasks`, and choosing how a search is answered.
//!
//! The rule is exact: the id or the payload's JSON text contains the needle,
//! ignoring ASCII case only. Trigrams give candidates (they fold all of
//! Unicode, and `detail=none` keeps no positions, so they can over-match);
//! every candidate is re-checked with `instr(lower(...))`, and SQLite's
//! built-in `lower` folds ASCII only, exactly the rule.

use rusqlite::{Connection, params};

/// A search this rare (fewer trigram candidates than this) is answered from
/// the index: gather the candidates, check them, sort them by id. A commoner
/// one walks the page's id order and checks rows as it goes, which finds a
/// page of matches within `limit * tasks / candidates` rows.
const RARE: i64 = 4000;

/// At most this many trigrams go into a query; more narrow little and cost reads.
const MAX_TRIGRAMS: usize = 12;

/// Adds a task to the index, under its row's rowid.
pub(crate) fn index(
    conn: &Connection,
    rowid: i64,
    id: &str,
    payload: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(INDEX)?
        .execute(params![rowid, id, payload])?;
    Ok(())
}

/// Indexes a task under its row's rowid.
pub(crate) const INDEX: &str = "INSERT INTO task_search (rowid, id, payload) VALUES (?1, ?2, ?3)";

/// Removes a deleted task from the index. The index keeps no copy of the
/// text, so the caller passes exactly what [`index`] was given.
pub(crate) fn unindex(
    conn: &Connection,
    rowid: i64,
    id: &str,
    payload: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(UNINDEX)?
        .execute(params![rowid, id, payload])?;
    Ok(())
}

/// FTS5's delete command for contentless tables: the old text names the postings to drop.
pub(crate) const UNINDEX: &str =
    "INSERT INTO task_search (task_search, rowid, id, payload) VALUES ('delete', ?1, ?2, ?3)";

/// Empties the index.
pub(crate) fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO task_search (task_search) VALUES ('delete-all')")?
        .execute([])?;
    Ok(())
}

/// How a search is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Join the candidates of this FTS5 query, then check each.
    Index(String),
    /// Check rows in the order the rest of the query walks them.
    Scan,
}

/// The needle as the re-check compares it: ASCII folded, like SQLite's `lower`.
pub(crate) fn folded(needle: &str) -> String {
    needle.to_ascii_lowercase()
}

/// The exact check, with `?` bound to [`folded`] (twice).
pub(crate) const RECHECK: &str = "(instr(lower(id), ?) > 0 OR instr(lower(payload), ?) > 0)";

/// The FTS5 query that every task containing `needle` matches: all of (up to
/// [`MAX_TRIGRAMS`] of) its trigrams, each quoted so it is taken literally.
/// `None` when the needle is shorter than a trigram.
pub(crate) fn trigram_query(needle: &str) -> Option<String> {
    let chars: Vec<char> = needle.chars().collect();
    let mut trigrams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    if trigrams.is_empty() {
        return None;
    }
    trigrams.sort();
    trigrams.dedup();
    // Spread the sample over the needle (sorted order is as good as any).
    let step = trigrams.len().div_ceil(MAX_TRIGRAMS);
    let terms: Vec<String> = trigrams
        .iter()
        .step_by(step)
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    Some(terms.join(" AND "))
}

/// Chooses the plan: counts the index's candidates, stopping at [`RARE`].
pub(crate) fn plan(conn: &Connection, needle: &str) -> rusqlite::Result<Plan> {
    let Some(query) = trigram_query(needle) else {
        // Under three characters the index cannot help.
        return Ok(Plan::Scan);
    };
    let candidates: i64 = conn
        .prepare_cached(PROBE)?
        .query_row(params![query, RARE], |row| row.get(0))?;
    Ok(if candidates < RARE {
        Plan::Index(query)
    } else {
        Plan::Scan
    })
}

/// Counts candidates up to a limit; FTS5 stops reading doclists there.
pub(crate) const PROBE: &str = "SELECT count(*) FROM \
     (SELECT rowid FROM task_search WHERE task_search MATCH ?1 LIMIT ?2)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_quote_each_trigram() {
        assert_eq!(trigram_query("ab"), None);
        assert_eq!(trigram_query("abc").as_deref(), Some("\"abc\""));
        assert_eq!(
            trigram_query("a\"bc").as_deref(),
            Some("\"\"\"bc\" AND \"a\"\"b\"")
        );
        assert_eq!(
            trigram_query("ÉCOLE").as_deref(),
            Some("\"COL\" AND \"OLE\" AND \"ÉCO\"")
        );
        let long = "abcdefghijklmnopqrstuvwxyz0123456789";
        let query = trigram_query(long).expect("long");
        assert!(query.matches(" AND ").count() < MAX_TRIGRAMS, "{query}");
    }
}
