//! Task history: reading a task's timeline. Events are appended by the
//! statement of each transition (data-modifying CTEs), never on their own.

use rustqueue_core::store::StoreError;
use rustqueue_core::task::{EventKind, TaskEvent, Timestamp};

use crate::connection::Db;
use crate::errors::Fault;

/// The task joined to its events: no row means no task, one row with NULL
/// event columns means a task without history. One statement, one snapshot.
const READ: &str = "SELECT e.at, e.kind, e.attempt, e.message \
     FROM tasks t LEFT JOIN task_events e ON e.task_id = t.id \
     WHERE t.id = $1 ORDER BY e.seq";

/// A task's history, oldest first; `NotFound` if the task does not exist.
pub(crate) async fn read(db: &Db, task_id: &str) -> Result<Vec<TaskEvent>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(READ).await?, &[&task_id])
        .await?;
    if rows.is_empty() {
        return Err(StoreError::NotFound.into());
    }
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(kind) = row.try_get::<_, Option<&str>>(1)? else {
            continue;
        };
        let kind = kind
            .parse::<EventKind>()
            .map_err(|err| StoreError::other(format!("unexpected event kind: {err}")))?;
        let at: Timestamp = row.try_get(0)?;
        let attempt: i64 = row.try_get(2)?;
        events.push(TaskEvent {
            task_id: task_id.to_owned(),
            at,
            kind,
            attempt: u32::try_from(attempt)
                .map_err(|err| StoreError::other(format!("unexpected event attempt: {err}")))?,
            message: row.try_get(3)?,
        });
    }
    Ok(events)
}
