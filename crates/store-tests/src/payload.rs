//! Cases proving JSON payloads and results come back byte for byte, never re-encoded.

use rustqueue_core::store::{Outcome, TaskInsertManyParams};
use rustqueue_core::task::{EventKind, NewTask};

use crate::fixtures::{SharedStore, all_tasks, claim, finish, finish_one, get, json, now, task};

/// JSON documents a re-encoding store would change: whitespace, key order and
/// duplicates, escapes, numbers beyond f64 and i64, deep nesting.
pub const ODD_JSON: &[&str] = &[
    r#""send to bob""#,
    r#"{ "b" : 1 ,"a":[ 1,2 , 3 ],   "c":{}}"#,
    "{\n\t\"z\": null,\n\t\"a\": true\n}",
    r#"{"a":1,"a":2}"#,
    r#""\u00e9t\u00E9 \ud83d\ude00 \" \\ \/ \b\f\n\r\t""#,
    r#""\u0000""#,
    r#""ünïcødé 日本語 🙂""#,
    "1e400",
    "-0.0",
    "123456789012345678901234567890",
    "0.1000000000000000000000000001",
    "[[[[[[[[[[{\"deep\":[1.50, -2E+3, 3e-7]}]]]]]]]]]]",
    "null",
    "false",
    "[]",
    r#""""#,
];

/// Every odd payload reads back identical from get, list and claim.
pub async fn payload_round_trips_verbatim(store: SharedStore) {
    let now = now();
    let news: Vec<NewTask> = ODD_JSON
        .iter()
        .map(|doc| NewTask {
            payload: json(doc),
            ..task("EMAIL", now)
        })
        .collect();
    let inserted = store
        .task_insert_many(TaskInsertManyParams {
            tasks: news.clone(),
            now,
        })
        .await
        .expect("insert");

    for ((new, got), doc) in news.iter().zip(&inserted).zip(ODD_JSON) {
        assert_eq!(got.task.payload.get(), *doc);
        assert_eq!(get(&*store, &new.id).await.payload.get(), *doc);
    }
    let listed = all_tasks(&*store).await;
    let docs: Vec<&str> = listed.iter().map(|t| t.payload.get()).collect();
    assert_eq!(docs, ODD_JSON);
    let leases = claim(&*store, &["EMAIL"], 100, now, 1).await;
    let docs: Vec<&str> = leases.iter().map(|l| l.task.payload.get()).collect();
    assert_eq!(docs, ODD_JSON, "claimed in id order, payloads intact");
}

/// Every odd result reads back identical, and a missing result stays `None`.
pub async fn result_round_trips_verbatim(store: SharedStore) {
    let now = now();
    let news: Vec<NewTask> = (0..=ODD_JSON.len()).map(|_| task("EMAIL", now)).collect();
    store
        .task_insert_many(TaskInsertManyParams {
            tasks: news.clone(),
            now,
        })
        .await
        .expect("insert");
    let leases = claim(&*store, &["EMAIL"], 100, now, 1).await;
    assert_eq!(leases.len(), news.len());

    for (lease, doc) in leases.iter().zip(ODD_JSON) {
        let outcome = Outcome::Completed {
            result: Some(json(doc)),
        };
        assert!(finish_one(&*store, finish(lease, outcome, EventKind::Completed), now).await);
    }
    let last = leases.last().expect("one task per document plus one");
    assert!(
        finish_one(
            &*store,
            finish(
                last,
                Outcome::Completed { result: None },
                EventKind::Completed
            ),
            now
        )
        .await
    );

    for (lease, doc) in leases.iter().zip(ODD_JSON) {
        let stored = get(&*store, &lease.task.id).await;
        assert_eq!(stored.result.as_ref().map(|r| r.get()), Some(*doc));
    }
    assert!(get(&*store, &last.task.id).await.result.is_none());
}
