//! A [`TaskFilter`] as SQL: the rows of `tasks` it selects, written so that
//! SQLite can walk an index in id order for any single field.

use rusqlite::Connection;
use rusqlite::types::Value;
use rustqueue_core::store::TaskFilter;
use rustqueue_core::task::TaskStatus;

use crate::id_clock;
use crate::rows::micros;
use crate::search::{self, Plan};

/// The tasks a filter selects: `SELECT ... FROM {from} WHERE {terms}`, with
/// the parameters of both in order. Columns of `tasks` are unambiguous.
#[derive(Debug)]
pub(crate) struct Selected {
    /// `tasks`, or the search candidates joined to `tasks`.
    pub(crate) from: &'static str,
    /// The WHERE terms, joined by AND; never empty.
    pub(crate) terms: String,
    /// Every `?` of `from` then `terms`, in order.
    pub(crate) params: Vec<Value>,
}

impl Selected {
    /// Adds a WHERE term with its parameters.
    pub(crate) fn and(&mut self, term: &str, params: impl IntoIterator<Item = Value>) {
        self.terms.push_str(" AND ");
        self.terms.push_str(term);
        self.params.extend(params);
    }
}

/// Only the search candidates, in rowid order; CROSS JOIN keeps them the
/// outer loop, so each costs one rowid look-up in `tasks`.
const CANDIDATES: &str = "(SELECT rowid AS candidate FROM task_search WHERE task_search MATCH ?) \
     CROSS JOIN tasks ON tasks.rowid = candidate";

/// The status term, a literal so SQLite can match a partial index: QUEUED and
/// FAILED repeat the condition of `tasks_status`, as SQLite requires.
fn status_term(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Queued => "status = 'QUEUED' AND status IN ('QUEUED', 'FAILED')",
        TaskStatus::Failed => "status = 'FAILED' AND status IN ('QUEUED', 'FAILED')",
        TaskStatus::InProgress => "status = 'INPROGRESS'",
        TaskStatus::Completed => "status = 'COMPLETED'",
    }
}

/// Running tasks are read whole from `tasks_leased` and sorted: there are at
/// most as many as workers, and walking the primary key instead could pass
/// every finished task. Named, as SQLite prefers the walk that needs no sort.
const RUNNING: &str = "tasks INDEXED BY tasks_leased";

/// Builds the selection of `filter`, reading what it needs to plan (the id
/// clock for time bounds, the search index for the search plan) from `conn`.
pub(crate) fn select(conn: &Connection, filter: &TaskFilter) -> rusqlite::Result<Selected> {
    let plan = match filter.search.as_deref() {
        Some(needle) => Some(search::plan(conn, needle)?),
        None => None,
    };
    let mut selected = match &plan {
        Some(Plan::Index(query)) => Selected {
            from: CANDIDATES,
            terms: "TRUE".to_owned(),
            params: vec![Value::Text(query.clone())],
        },
        _ => Selected {
            from: match filter.status {
                Some(TaskStatus::InProgress) => RUNNING,
                _ => "tasks",
            },
            terms: "TRUE".to_owned(),
            params: Vec::new(),
        },
    };
    if let Some(status) = filter.status {
        selected.and(status_term(status), []);
    }
    if let Some(task_type) = &filter.task_type {
        selected.and("task_type = ?", [Value::Text(task_type.clone())]);
    }
    if let Some(queue) = &filter.queue {
        selected.and("queue = ?", [Value::Text(queue.clone())]);
    }
    if let Some(after) = filter.created_after {
        selected.and("created_at >= ?", [Value::Integer(micros(after))]);
    }
    if let Some(before) = filter.created_before {
        selected.and("created_at < ?", [Value::Integer(micros(before))]);
    }
    let ids = id_clock::range(conn, filter.created_after, filter.created_before)?;
    if let Some(from) = ids.from {
        selected.and("id >= ?", [Value::Text(from)]);
    }
    if let Some(until) = ids.until {
        selected.and("id < ?", [Value::Text(until)]);
    }
    if let Some(needle) = filter.search.as_deref() {
        let folded = search::folded(needle);
        selected.and(
            search::RECHECK,
            [Value::Text(folded.clone()), Value::Text(folded)],
        );
    }
    Ok(selected)
}
