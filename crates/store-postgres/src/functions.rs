//! The SQL functions the store calls, each with one current body in
//! `sql/functions/`, applied with `CREATE OR REPLACE` at every connect.
//!
//! Migrations created these functions and once replaced their bodies; the
//! body in force is now the file's, so a change to one is a change to one
//! file rather than a new migration repeating the whole function. Migrations
//! still own what `CREATE OR REPLACE` cannot do: a new signature or return
//! type (drop the old function in a migration, then change the file).
//! Bodies are applied after the migrations, in the same transaction under
//! the same advisory lock, so nodes connecting together do not race.
//!
//! The last node to connect sets the bodies for all: a node of an older
//! build would put its older bodies back. A body change that older nodes
//! must not undo therefore comes with a migration too (even an empty one),
//! which makes older builds refuse the schema as too new.
//!
//! The bodies name the claim order by placeholder: `{claim_order:PREFIX}`
//! and `{claim_order_in_level:PREFIX}` become the order of
//! [`claim_order_sql`] and [`claim_order_in_level_sql`] with that column
//! prefix, so the order is written once, in core.

use rustqueue_core::store::{claim_order_in_level_sql, claim_order_sql};

use crate::errors::Fault;

/// Every function, by name, in the order they are applied: a function in
/// `LANGUAGE sql` is checked at creation, so what it calls comes first.
pub(crate) const FUNCTIONS: &[(&str, &str)] = &[
    (
        "active_queues",
        include_str!("../sql/functions/active_queues.sql"),
    ),
    (
        "next_level",
        include_str!("../sql/functions/next_level.sql"),
    ),
    (
        "key_candidates",
        include_str!("../sql/functions/key_candidates.sql"),
    ),
    (
        "limited_due_tasks",
        include_str!("../sql/functions/limited_due_tasks.sql"),
    ),
    (
        "fair_due_tasks",
        include_str!("../sql/functions/fair_due_tasks.sql"),
    ),
    ("due_tasks", include_str!("../sql/functions/due_tasks.sql")),
    (
        "next_run_at",
        include_str!("../sql/functions/next_run_at.sql"),
    ),
    (
        "claim_tasks",
        include_str!("../sql/functions/claim_tasks.sql"),
    ),
];

/// Applies every function's current body inside `tx`; returns the name of
/// the function that failed with the fault.
pub(crate) async fn apply(
    tx: &deadpool_postgres::Transaction<'_>,
) -> Result<(), (&'static str, Fault)> {
    for (name, sql) in FUNCTIONS {
        tx.batch_execute(&render(sql))
            .await
            .map_err(|err| (*name, err.into()))?;
    }
    Ok(())
}

/// `sql` with its claim order placeholders filled in.
fn render(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let placeholder = &rest[start + 1..start + len];
        match placeholder.split_once(':') {
            Some(("claim_order", prefix)) => out.push_str(&claim_order_sql(prefix)),
            Some(("claim_order_in_level", prefix)) => {
                out.push_str(&claim_order_in_level_sql(prefix));
            }
            // Not a placeholder: kept as written (PostgreSQL then judges it).
            _ => out.push_str(&rest[start..=start + len]),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_the_core_claim_order() {
        let sql = "ORDER BY {claim_order:d.due_} x {claim_order_in_level:t.} y {claim_order:}";
        assert_eq!(
            render(sql),
            "ORDER BY d.due_priority DESC, d.due_run_at, d.due_id x t.run_at, t.id \
             y priority DESC, run_at, id"
        );
        assert_eq!(render("'{a}' {other:x}"), "'{a}' {other:x}");
    }

    #[test]
    fn every_body_is_rendered_whole_and_replaces_its_function() {
        for (name, sql) in FUNCTIONS {
            let rendered = render(sql);
            assert!(!rendered.contains('{'), "{name}: a placeholder is left");
            assert!(
                rendered.contains(&format!("CREATE OR REPLACE FUNCTION {name}(")),
                "{name}: the file must replace the function it is named after"
            );
        }
    }
}
