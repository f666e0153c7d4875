//! Transitions shared between nodes: a batch goes out as `pg_notify` notices
//! on the schema's channel (several when it would not fit in one), and the
//! LISTEN connection turns other nodes' notices back into batches. Work
//! wake-ups on the same channel carry an empty payload; these carry JSON.

use rustqueue_core::store::TransitionBatch;
use rustqueue_core::task::{EventKind, TaskStatus, Transition};
use serde_json::{Value, json};

use crate::connection::Db;
use crate::errors::Fault;

/// The most payload bytes put in one notice (PostgreSQL takes under 8,000).
const MAX_NOTICE_BYTES: usize = 7_000;

/// Encodes `batch` from node `node` as notice payloads, each under the limit.
pub(crate) fn encode(node: &str, batch: &TransitionBatch) -> Vec<String> {
    let mut notices = Vec::new();
    let mut items: Vec<Value> = Vec::new();
    let mut size = 0;
    for transition in &batch.transitions {
        let item = json!([
            transition.task_id,
            transition.kind.as_str(),
            transition.status.map(TaskStatus::as_str),
        ]);
        let item_size = item.to_string().len() + 1;
        if size + item_size > MAX_NOTICE_BYTES && !items.is_empty() {
            notices.push(notice(node, std::mem::take(&mut items), 0));
            size = 0;
        }
        size += item_size;
        items.push(item);
    }
    if !items.is_empty() || batch.skipped > 0 {
        notices.push(notice(node, items, batch.skipped));
    }
    notices
}

fn notice(node: &str, items: Vec<Value>, skipped: u64) -> String {
    json!({ "node": node, "skipped": skipped, "t": items }).to_string()
}

/// Decodes a notice from another node; `None` for wake-ups, this node's own
/// notices, and anything malformed.
pub(crate) fn decode(payload: &str, own_node: &str) -> Option<TransitionBatch> {
    if payload.is_empty() {
        return None;
    }
    let value: Value = serde_json::from_str(payload).ok()?;
    if value["node"].as_str()? == own_node {
        return None;
    }
    let transitions = value["t"]
        .as_array()?
        .iter()
        .filter_map(|item| {
            Some(Transition {
                task_id: item[0].as_str()?.to_owned(),
                kind: item[1].as_str()?.parse::<EventKind>().ok()?,
                status: item[2].as_str().and_then(|s| s.parse::<TaskStatus>().ok()),
            })
        })
        .collect();
    Some(TransitionBatch {
        transitions,
        skipped: value["skipped"].as_u64().unwrap_or(0),
    })
}

/// Sends `batch` to the other nodes, all notices in one statement.
pub(crate) async fn share(db: &Db, node: &str, batch: &TransitionBatch) -> Result<(), Fault> {
    let notices = encode(node, batch);
    if notices.is_empty() {
        return Ok(());
    }
    let client = db.client().await?;
    let statement = client
        .prepare_cached("SELECT count(pg_notify($1, notice)) FROM unnest($2::text[]) AS notice")
        .await?;
    client
        .query_one(&statement, &[&db.channel, &notices])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transition(n: usize) -> Transition {
        Transition {
            task_id: format!("task-{n:04}-\"quoted\""),
            kind: EventKind::Completed,
            status: Some(TaskStatus::Completed),
        }
    }

    #[test]
    fn a_batch_round_trips_through_notices_that_fit() {
        let batch = TransitionBatch {
            transitions: (0..500).map(transition).collect(),
            skipped: 7,
        };
        let notices = encode("a", &batch);
        assert!(notices.len() > 1, "500 transitions need several notices");
        assert!(notices.iter().all(|n| n.len() < 8_000));
        let mut back = TransitionBatch::default();
        for notice in &notices {
            let part = decode(notice, "b").expect("decodes");
            back.transitions.extend(part.transitions);
            back.skipped += part.skipped;
        }
        assert_eq!(back, batch);
    }

    #[test]
    fn own_notices_and_wake_ups_are_not_transitions() {
        let batch = TransitionBatch {
            transitions: vec![Transition {
                task_id: "t".into(),
                kind: EventKind::Cancelled,
                status: None,
            }],
            skipped: 0,
        };
        let notice = encode("a", &batch).pop().expect("one notice");
        assert_eq!(decode(&notice, "a"), None);
        assert_eq!(decode(&notice, "b"), Some(batch));
        assert_eq!(decode("", "b"), None);
        assert_eq!(decode("not json", "b"), None);
    }
}
