//! Task filters as SQL: a WHERE clause holding only the conditions a filter
//! sets, so each combination gets its own plan and the index that fits it.

use rustqueue_core::store::TaskFilter;
use tokio_postgres::types::ToSql;

/// A parameter of a statement built at run time.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// Lower-cases ASCII letters only, as [`TaskFilter`]'s search does (`lower()`
/// would also fold other letters).
pub(crate) const ASCII_LOWER: &str = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'";

/// Conditions on `tasks t` and their parameters, numbered from `$1`.
#[derive(Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Conditions {
    /// The conditions of `filter`.
    pub(crate) fn of(filter: &TaskFilter) -> Self {
        let mut conditions = Self::default();
        if let Some(status) = filter.status {
            // A literal, so the planner can match the partial indexes.
            conditions
                .clauses
                .push(format!("t.status = '{}'", status.as_str()));
        }
        if let Some(task_type) = &filter.task_type {
            conditions.bind("t.task_type = $", task_type.clone());
        }
        if let Some(queue) = &filter.queue {
            conditions.bind("t.queue = $", queue.clone());
        }
        if let Some(after) = filter.created_after {
            conditions.bind("t.created_at >= $", after);
        }
        if let Some(before) = filter.created_before {
            conditions.bind("t.created_at < $", before);
        }
        if let Some(needle) = &filter.search {
            let n = conditions.param(like_pattern(needle));
            conditions.clauses.push(format!(
                "(translate(t.id, {ASCII_LOWER}) LIKE ${n} OR translate(t.payload, {ASCII_LOWER}) LIKE ${n})"
            ));
        }
        conditions
    }

    /// Adds a parameter and returns its number.
    pub(crate) fn param(&mut self, value: impl ToSql + Sync + Send + 'static) -> usize {
        self.params.push(Box::new(value));
        self.params.len()
    }

    /// Adds `clause` followed by the number of a new parameter holding `value`.
    pub(crate) fn bind(&mut self, clause: &str, value: impl ToSql + Sync + Send + 'static) {
        let n = self.param(value);
        self.clauses.push(format!("{clause}{n}"));
    }

    /// Adds a condition that needs no parameter.
    pub(crate) fn push(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// `WHERE ...`, or nothing when there is no condition.
    pub(crate) fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The parameters, in number order.
    pub(crate) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// A LIKE pattern matching text that contains `needle`, ASCII letters lowered.
fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c.to_ascii_lowercase());
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustqueue_core::task::TaskStatus;

    #[test]
    fn only_set_fields_become_conditions() {
        assert_eq!(Conditions::of(&TaskFilter::default()).where_clause(), "");
        let filter = TaskFilter {
            status: Some(TaskStatus::Failed),
            queue: Some("mail".to_owned()),
            search: Some("Bob_%".to_owned()),
            ..Default::default()
        };
        let conditions = Conditions::of(&filter);
        let sql = conditions.where_clause();
        assert!(
            sql.starts_with(" WHERE t.status = 'FAILED' AND t.queue = $1 AND (translate(t.id"),
            "{sql}"
        );
        assert!(sql.contains("LIKE $2 OR"), "{sql}");
        assert_eq!(conditions.params().len(), 2);
    }

    #[test]
    fn search_patterns_escape_wildcards_and_fold_ascii_only() {
        assert_eq!(like_pattern("Bob_%\\É"), "%bob\\_\\%\\\\É%");
    }
}
