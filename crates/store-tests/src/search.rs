//! Cases for the `search` filter: a substring of the id or of the payload's
//! JSON text, ignoring ASCII case, taken literally, and never found in other fields.

use rustqueue_core::store::{
    Outcome, PageOrder, Selection, Store, TaskDeleteManyParams, TaskDeleteParams, TaskFilter,
};
use rustqueue_core::task::{EventKind, NewTask, Task};

use crate::fixtures::{
    SharedStore, all_tasks, claim_one, finish, finish_one, insert, insert_mix, now, task_in,
};
use crate::page::{assert_walks, walk};

fn search(needle: &str) -> TaskFilter {
    TaskFilter {
        search: Some(needle.to_owned()),
        ..TaskFilter::default()
    }
}

/// The ids a search finds, oldest first, in pages of 2.
async fn found(store: &dyn Store, needle: &str) -> Vec<String> {
    let walked = walk(store, &search(needle), PageOrder::OldestFirst, 2).await;
    walked.into_iter().map(|t| t.id).collect()
}

/// Search finds text in the payload or the id, in any ASCII case.
pub async fn search_matches_id_or_payload_ignoring_ascii_case(store: SharedStore) {
    let all = insert_mix(&*store, now()).await;

    for (needle, n) in [
        ("example.com", 24),
        ("EXAMPLE.com", 24),
        ("bravo", 8),
        ("Alpha cEnTaUrI", 8),
        ("user1", 11), // user1 and user10 to user19
        ("user1@", 1),
        (r#""n":7,"#, 1),
        ("no such text", 0),
    ] {
        assert_eq!(
            assert_walks(&*store, &all, &search(needle)).await,
            n,
            "{needle}"
        );
    }
    // The random tail of one id, in upper case.
    let tail = all[9].id[24..].to_ascii_uppercase();
    assert_eq!(found(&*store, &tail).await, [all[9].id.clone()]);
    let prefix = &all[9].id[..13];
    assert!(
        found(&*store, prefix).await.contains(&all[9].id),
        "an id prefix finds its task"
    );
}

/// Type, queue, unique key, error and result are not searched, and no match
/// spans the id and the payload.
pub async fn search_never_matches_other_fields(store: SharedStore) {
    let at = now();
    let new = NewTask {
        unique_key: Some("unique-quokka".to_owned()),
        ..task_in("WOMBAT", "platypus", r#"{"x":1}"#, at)
    };
    let t = insert(&*store, new, at).await;
    let lease = claim_one(&*store, "WOMBAT", at, 1).await;
    let failed = Outcome::Failed {
        error: "echidna".to_owned(),
    };
    assert!(finish_one(&*store, finish(&lease, failed, EventKind::Failed), at).await);
    let done = task_in("NUMBAT", "platypus", r#"{"y":2}"#, at);
    insert(&*store, done, at).await;
    let lease = claim_one(&*store, "NUMBAT", at, 2).await;
    let completed = Outcome::Completed {
        result: Some(crate::fixtures::json(r#"{"bilby":true}"#)),
    };
    assert!(finish_one(&*store, finish(&lease, completed, EventKind::Completed), at).await);

    for needle in [
        "wombat", "platypus", "quokka", "echidna", "numbat", "bilby", "failed",
    ] {
        assert!(found(&*store, needle).await.is_empty(), "{needle}");
    }
    let across = format!("{}{{\"x", &t.id[t.id.len() - 2..]);
    assert!(found(&*store, &across).await.is_empty(), "{across}");
    assert_eq!(found(&*store, "{\"x").await, std::slice::from_ref(&t.id));
}

/// Only ASCII letters fold: other letters match only as written.
pub async fn search_folds_only_ascii_case(store: SharedStore) {
    let at = now();
    let t = insert(
        &*store,
        task_in("A", "default", r#"{"school":"ÉCOLE Ωmega"}"#, at),
        at,
    )
    .await;

    assert_eq!(found(&*store, "ÉCOLE").await, std::slice::from_ref(&t.id));
    assert_eq!(found(&*store, "Écol").await, std::slice::from_ref(&t.id));
    assert_eq!(found(&*store, "ωMEGA").await, Vec::<String>::new());
    assert_eq!(found(&*store, "école").await, Vec::<String>::new());
    assert_eq!(found(&*store, "ΩMEGA").await, std::slice::from_ref(&t.id));
}

/// Quotes, backslashes, wildcards and query words are plain text.
pub async fn search_takes_text_literally(store: SharedStore) {
    let at = now();
    let payload =
        r#"{"deal":"50% off_now","path":"C:\\temp","say":"\"hi\" OR there","q":"a*b NEAR(c)"}"#;
    let t = insert(&*store, task_in("A", "default", payload, at), at).await;
    insert(
        &*store,
        task_in("A", "default", r#"{"deal":"500 offers"}"#, at),
        at,
    )
    .await;
    let hit = vec![t.id.clone()];

    for needle in [
        "50% off",
        "% off_n",
        r#"C:\\temp"#,
        r#"\"hi\" OR"#,
        "OR there",
        "a*b",
        "NEAR(c)",
        r#""deal":"50%"#,
    ] {
        assert_eq!(found(&*store, needle).await, hit, "{needle}");
    }
    for needle in [
        "50_ off",
        "5%off",
        "%%%",
        "a?b",
        "C:\\temp",
        "hi OR there",
        "___",
    ] {
        assert!(found(&*store, needle).await.is_empty(), "{needle}");
    }
    assert_eq!(found(&*store, "offers").await.len(), 1);
}

/// Deleted and cleared tasks are never found again, and tasks stored after
/// them are found by their own text only.
pub async fn search_forgets_deleted_tasks(store: SharedStore) {
    let at = now();
    let payload = |word: &str| format!(r#"{{"word":"needle-{word}"}}"#);
    let one = insert(&*store, task_in("A", "q", &payload("one"), at), at).await;
    store
        .task_delete(&TaskDeleteParams::new(&one.id))
        .await
        .expect("delete");
    let two = insert(&*store, task_in("A", "q", &payload("two"), at), at).await;

    assert_eq!(
        found(&*store, "needle").await,
        std::slice::from_ref(&two.id)
    );
    assert!(found(&*store, "needle-one").await.is_empty());

    let three = insert(&*store, task_in("A", "q", &payload("three"), at), at).await;
    let deleted = store
        .task_delete_many(&TaskDeleteManyParams {
            selection: Selection::Ids(vec![two.id.clone()]),
        })
        .await
        .expect("delete many");
    assert_eq!(deleted.count, 1);
    assert_eq!(
        found(&*store, "needle").await,
        std::slice::from_ref(&three.id)
    );

    store.task_clear().await.expect("clear");
    assert!(found(&*store, "needle").await.is_empty());
    // The same ids stored again are found by their new text only.
    let again = NewTask {
        id: one.id.clone(),
        ..task_in("A", "q", &payload("four"), at)
    };
    insert(&*store, again, at).await;
    assert_eq!(
        found(&*store, "needle-four").await,
        std::slice::from_ref(&one.id)
    );
    assert!(found(&*store, "needle-one").await.is_empty());
    let all: Vec<Task> = all_tasks(&*store).await;
    assert_eq!(all.len(), 1);
}
