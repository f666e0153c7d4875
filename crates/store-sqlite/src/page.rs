//! Filtered pages of tasks by keyset: `id` beyond the cursor, in id order,
//! `LIMIT` rows. Each filter field has an index in id order (see migration
//! 0002), so a page reads about `limit` index entries, never the whole table.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use rustqueue_core::store::{PageOrder, TaskPageParams};
use rustqueue_core::task::Task;

use crate::errors::Fault;
use crate::filter;
use crate::rows::{self, limit_column, task_columns};

/// One page of tasks matching the filter, after the cursor, in order.
pub(crate) fn page(conn: &Connection, params: &TaskPageParams) -> Result<Vec<Task>, Fault> {
    if params.limit == 0 {
        return Ok(Vec::new());
    }
    // One snapshot for the id clock, the search plan and the page.
    let tx = conn.unchecked_transaction()?;
    let mut selected = filter::select(&tx, &params.filter)?;
    let (beyond, order) = match params.order {
        PageOrder::NewestFirst => ("id < ?", "DESC"),
        PageOrder::OldestFirst => ("id > ?", "ASC"),
    };
    if let Some(after) = &params.after {
        selected.and(beyond, [Value::Text(after.clone())]);
    }
    selected
        .params
        .push(Value::Integer(limit_column(params.limit)));
    let sql = page_sql(selected.from, &selected.terms, order);
    let mut select = tx.prepare_cached(&sql)?;
    let tasks = select
        .query_map(params_from_iter(selected.params), rows::task)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(select);
    tx.finish()?;
    Ok(tasks)
}

/// The page statement for a selection and an order (`ASC` or `DESC`).
pub(crate) fn page_sql(from: &str, terms: &str, order: &str) -> String {
    format!(
        concat!(
            "SELECT ",
            task_columns!(),
            " FROM {} WHERE {} ORDER BY id {} LIMIT ?"
        ),
        from, terms, order
    )
}
