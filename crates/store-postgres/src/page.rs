//! Filtered pages of tasks by keyset: `id` beyond the cursor, in id order.

use rustqueue_core::store::{PageOrder, TaskPageParams};
use rustqueue_core::task::Task;

use crate::connection::Db;
use crate::errors::Fault;
use crate::filter::Conditions;
use crate::rows::{self, limit_column, task_columns};

/// One page of tasks matching the filter, after the cursor, by id.
pub(crate) async fn page(db: &Db, params: &TaskPageParams) -> Result<Vec<Task>, Fault> {
    if params.limit == 0 {
        return Ok(Vec::new());
    }
    let mut conditions = Conditions::of(&params.filter);
    let (after, order) = match params.order {
        PageOrder::NewestFirst => ("t.id < $", "DESC"),
        PageOrder::OldestFirst => ("t.id > $", "ASC"),
    };
    if let Some(cursor) = &params.after {
        conditions.bind(after, cursor.clone());
    }
    let limit = conditions.param(limit_column(params.limit));
    let sql = format!(
        "SELECT {} FROM tasks t{} ORDER BY t.id {order} LIMIT ${limit}",
        task_columns!("t"),
        conditions.where_clause()
    );
    let client = db.client().await?;
    let select = client.prepare_cached(&sql).await?;
    let rows = client.query(&select, &conditions.params()).await?;
    rows.iter().map(rows::task).collect()
}
