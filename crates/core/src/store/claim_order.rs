//! The claim order, defined once: of the ready tasks, a claim takes the
//! highest priority first, then the earliest `run_at`, then the smallest id.
//!
//! The memory store keeps its ready set sorted by [`ClaimKey`]; the SQL
//! stores build their `ORDER BY` from [`claim_order_sql`], and merge rows
//! found per queue with [`claim_cmp`].

use std::cmp::{Ordering, Reverse};

use crate::task::{Task, Timestamp};

/// The claim order as an SQL `ORDER BY` list over the `tasks` columns.
pub const CLAIM_ORDER_SQL: &str = "priority DESC, run_at, id";

/// The claim order among tasks of one priority level: the tail of
/// [`CLAIM_ORDER_SQL`] once the priority is fixed.
pub const CLAIM_ORDER_IN_LEVEL_SQL: &str = "run_at, id";

/// [`CLAIM_ORDER_SQL`] with every column name prefixed: `"t."` for a table
/// alias, `"d.due_"` for columns renamed with a prefix.
pub fn claim_order_sql(prefix: &str) -> String {
    format!(
        "{prefix}priority DESC, {}",
        claim_order_in_level_sql(prefix)
    )
}

/// [`CLAIM_ORDER_IN_LEVEL_SQL`] with every column name prefixed.
pub fn claim_order_in_level_sql(prefix: &str) -> String {
    format!("{prefix}run_at, {prefix}id")
}

/// A ready task's place in the claim order: keys sort ascending in claim
/// order. A tuple, so that a sorted set of keys can be filtered by its parts.
pub type ClaimKey = (Reverse<i32>, Timestamp, String);

/// The claim key of `task`.
pub fn claim_key(task: &Task) -> ClaimKey {
    (Reverse(task.priority), task.run_at, task.id.clone())
}

/// Compares two ready tasks, each given as `(priority, run_at, id)` in
/// whatever types a store reads them as, by claim order.
pub fn claim_cmp<P: Ord, R: Ord>(a: (P, R, &str), b: (P, R, &str)) -> Ordering {
    (Reverse(a.0), a.1, a.2).cmp(&(Reverse(b.0), b.1, b.2))
}

/// Compares two tasks by claim order.
pub fn claim_order(a: &Task, b: &Task) -> Ordering {
    claim_cmp(
        (a.priority, a.run_at, a.id.as_str()),
        (b.priority, b.run_at, b.id.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_forms_agree() {
        assert_eq!(claim_order_sql(""), CLAIM_ORDER_SQL);
        assert_eq!(claim_order_in_level_sql(""), CLAIM_ORDER_IN_LEVEL_SQL);
        assert!(CLAIM_ORDER_SQL.ends_with(CLAIM_ORDER_IN_LEVEL_SQL));
        assert_eq!(
            claim_order_sql("d.due_"),
            "d.due_priority DESC, d.due_run_at, d.due_id"
        );
    }

    #[test]
    fn higher_priority_then_earlier_run_at_then_smaller_id_comes_first() {
        let (early, late) = (1_000, 2_000);
        let mut tasks = [
            (0, early, "b"),
            (5, late, "z"),
            (0, early, "a"),
            (0, late, "a"),
            (-3, early, "a"),
            (5, late, "y"),
        ];
        tasks.sort_by(|a, b| claim_cmp(*a, *b));
        assert_eq!(
            tasks,
            [
                (5, late, "y"),
                (5, late, "z"),
                (0, early, "a"),
                (0, early, "b"),
                (0, late, "a"),
                (-3, early, "a"),
            ]
        );
    }
}
