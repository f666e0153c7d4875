//! Finding ready tasks: the next run time. It and the claim's search
//! (`due_tasks`, called by `lease`) read `tasks_ready` per unpaused queue and
//! priority level, in the SQL functions of `sql/functions/`.

use rustqueue_core::task::Timestamp;

use crate::connection::Db;
use crate::errors::Fault;

/// The earliest `run_at` a dispatcher could wait for: `next_run_at` (see
/// `sql/functions/next_run_at.sql`) reads it per queue and priority level.
const NEXT_RUN_AT: &str = "SELECT next_run_at($1::text[])";

/// The earliest `run_at` among queued tasks of these types in unpaused queues.
pub(crate) async fn next_run_at(db: &Db, types: &[String]) -> Result<Option<Timestamp>, Fault> {
    let client = db.client().await?;
    let row = client
        .query_one(&client.prepare_cached(NEXT_RUN_AT).await?, &[&types])
        .await?;
    Ok(row.try_get(0)?)
}
