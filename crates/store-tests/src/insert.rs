//! Cases for `task_insert_many`: field values, order, events, atomicity and `unique_key`.

use rustqueue_core::store::{
    StoreError, TaskDeleteParams, TaskEventsParams, TaskGetParams, TaskInsertManyParams,
};
use rustqueue_core::task::{EventKind, NewTask, TaskStatus};
use tokio::task::JoinSet;

use crate::fixtures::{
    SharedStore, all_tasks, assert_same_task, claim_one, complete, fail, finish_one, get, history,
    insert, keyed, now, secs, sorted_ids, task,
};

/// A W3C trace context, as an enqueue stores it.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The trace context stored with a task comes back with every lease of it,
/// so each attempt continues the enqueue's trace; a task without one has none.
pub async fn insert_keeps_the_traceparent_for_claims(store: SharedStore) {
    let now = now();
    let traced = NewTask {
        traceparent: Some(TRACEPARENT.to_owned()),
        ..task("EMAIL", now)
    };
    let traced = insert(&*store, traced, now).await;
    insert(&*store, task("SMS", now), now).await;
    let lease = claim_one(&*store, "EMAIL", now, 1).await;
    assert_eq!(lease.task.id, traced.id);
    assert_eq!(lease.task.traceparent.as_deref(), Some(TRACEPARENT));
    assert_eq!(
        get(&*store, &traced.id).await.traceparent.as_deref(),
        Some(TRACEPARENT)
    );
    let plain = claim_one(&*store, "SMS", now, 2).await;
    assert_eq!(plain.task.traceparent, None);
}

/// A batch comes back in input order, each task `QUEUED` with every field as asked.
pub async fn insert_returns_tasks_in_input_order(store: SharedStore) {
    let now = now();
    let mut first = task("EMAIL", secs(now, 60));
    first.priority = 7;
    first.queue = "mail".to_owned();
    first.max_retries = 5;
    first.timeout_ms = Some(1500);
    first.unique_key = Some("k-1".to_owned());
    first.traceparent = Some(TRACEPARENT.to_owned());
    let second = task("SMS", now);
    let third = task("REPORT", secs(now, -5));
    let news = vec![first.clone(), second.clone(), third.clone()];

    let inserted = store
        .task_insert_many(TaskInsertManyParams {
            tasks: news.clone(),
            now,
        })
        .await
        .expect("insert");

    assert_eq!(inserted.len(), 3);
    for (got, asked) in inserted.iter().zip(&news) {
        assert!(!got.duplicate);
        let t = &got.task;
        assert_eq!(t.id, asked.id);
        assert_eq!(t.task_type, asked.task_type);
        assert_eq!(t.payload.get(), asked.payload.get());
        assert_eq!(t.queue, asked.queue);
        assert_eq!(t.priority, asked.priority);
        assert_eq!(t.status, TaskStatus::Queued);
        assert_eq!(t.attempts, 0);
        assert_eq!(t.max_retries, asked.max_retries);
        assert_eq!(
            (t.created_at, t.updated_at, t.run_at),
            (now, now, asked.run_at)
        );
        assert_eq!((t.started_at, t.finished_at), (None, None));
        assert_eq!(t.last_error, None);
        assert!(t.result.is_none());
        assert_eq!(t.unique_key, asked.unique_key);
        assert_eq!(t.timeout_ms, asked.timeout_ms);
        assert_eq!(t.traceparent, asked.traceparent);
        assert_same_task(&get(&*store, &t.id).await, t);
    }
    let listed = all_tasks(&*store).await;
    let ids: Vec<&str> = listed.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [first.id.as_str(), second.id.as_str(), third.id.as_str()]
    );
}

/// Every inserted task starts its history with one `enqueued` event, attempt 0.
pub async fn insert_records_enqueued_event(store: SharedStore) {
    let now = now();
    let t = insert(&*store, task("EMAIL", now), now).await;
    let events = store
        .task_events(&TaskEventsParams::new(&t.id))
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.task_id.as_str(), e.kind, e.attempt, e.at),
        (t.id.as_str(), EventKind::Enqueued, 0, now)
    );
    assert_eq!(e.message, None);
}

/// A task's note (what made it) is the message of its `enqueued` event, for
/// each task of a batch on its own.
pub async fn insert_writes_each_note_into_its_enqueued_event(store: SharedStore) {
    let now = now();
    let noted = NewTask {
        note: Some("cron entry nightly, tick 2030-01-01T00:00:00Z".to_owned()),
        ..task("EMAIL", now)
    };
    let keyed_noted = NewTask {
        note: Some("by hand".to_owned()),
        ..keyed("SMS", now, "noted-key")
    };
    let batch = vec![task("EMAIL", now), noted, keyed_noted];
    let inserted = store
        .task_insert_many(TaskInsertManyParams { tasks: batch, now })
        .await
        .expect("insert");
    let mut messages = Vec::new();
    for row in &inserted {
        let events = store
            .task_events(&TaskEventsParams::new(&row.task.id))
            .await
            .expect("events");
        messages.push(events[0].message.clone());
    }
    assert_eq!(
        messages,
        [
            None,
            Some("cron entry nightly, tick 2030-01-01T00:00:00Z".to_owned()),
            Some("by hand".to_owned())
        ]
    );
}

/// An empty batch inserts nothing and succeeds.
pub async fn insert_empty_batch(store: SharedStore) {
    let inserted = store
        .task_insert_many(TaskInsertManyParams {
            tasks: Vec::new(),
            now: now(),
        })
        .await
        .expect("insert");
    assert!(inserted.is_empty());
    assert!(all_tasks(&*store).await.is_empty());
}

/// A batch that cannot be stored whole (an id already taken) stores nothing.
pub async fn insert_batch_is_all_or_nothing(store: SharedStore) {
    let now = now();
    let existing = insert(&*store, task("EMAIL", now), now).await;
    let before = all_tasks(&*store).await;
    let clash = task("SMS", secs(now, 9));
    let clash = NewTask {
        id: existing.id.clone(),
        ..clash
    };
    let (a, b) = (task("EMAIL", now), task("EMAIL", now));

    let result = store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![a.clone(), clash, b.clone()],
            now: secs(now, 1),
        })
        .await;

    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "a batch reusing an existing id must fail as a conflict, got {result:?}"
    );
    assert!(
        store
            .task_get(&TaskGetParams::new(&a.id))
            .await
            .expect("get")
            .is_none(),
        "first task of a failed batch was kept"
    );
    assert!(
        store
            .task_get(&TaskGetParams::new(&b.id))
            .await
            .expect("get")
            .is_none(),
        "last task of a failed batch was kept"
    );
    let after = all_tasks(&*store).await;
    assert_eq!(after.len(), before.len());
    assert_same_task(&get(&*store, &existing.id).await, &existing);
    assert_eq!(
        history(&*store, &existing.id).await,
        [(EventKind::Enqueued, 0)]
    );
}

/// A batch naming one new id twice is refused whole, as a conflict.
pub async fn insert_batch_with_repeated_id_is_refused(store: SharedStore) {
    let now = now();
    let first = task("EMAIL", now);
    let again = NewTask {
        task_type: "SMS".to_owned(),
        ..first.clone()
    };
    let other = task("EMAIL", now);

    let result = store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![other.clone(), first.clone(), again],
            now,
        })
        .await;

    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "got {result:?}"
    );
    let listed = all_tasks(&*store).await;
    assert!(listed.is_empty(), "nothing of a refused batch is kept");
}

/// The task an insert returns is exactly what reads return later, even when
/// `now` has sub-microsecond digits that a backend may not keep.
pub async fn insert_result_matches_later_reads(store: SharedStore) {
    let micros = now();
    let precise = micros + chrono::TimeDelta::nanoseconds(789);
    let mut new = task("EMAIL", precise + chrono::TimeDelta::nanoseconds(1));
    new.timeout_ms = Some(u64::from(u32::MAX) + 7);

    let inserted = insert(&*store, new, precise).await;

    assert_same_task(&get(&*store, &inserted.id).await, &inserted);
    let listed = all_tasks(&*store).await;
    assert_same_task(&listed[0], &inserted);
    let within_a_micro =
        |at: chrono::DateTime<chrono::Utc>| (at - micros).num_nanoseconds() < Some(1000);
    assert!(within_a_micro(inserted.created_at) && within_a_micro(inserted.run_at));
}

/// A key held by a `QUEUED` task makes the next insert a duplicate returning the holder.
pub async fn unique_key_dedupes_against_queued(store: SharedStore) {
    let now = now();
    let holder = insert(&*store, keyed("EMAIL", now, "welcome:42"), now).await;
    let second = keyed("EMAIL", now, "welcome:42");

    let inserted = store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![second.clone()],
            now: secs(now, 1),
        })
        .await
        .expect("insert");

    assert!(inserted[0].duplicate);
    assert_same_task(&inserted[0].task, &holder);
    assert!(
        store
            .task_get(&TaskGetParams::new(&second.id))
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(
        history(&*store, &holder.id).await,
        [(EventKind::Enqueued, 0)]
    );
}

/// A key held by an `INPROGRESS` task still makes inserts duplicates.
pub async fn unique_key_held_while_in_progress(store: SharedStore) {
    let now = now();
    let holder = insert(&*store, keyed("EMAIL", now, "k"), now).await;
    let lease = claim_one(&*store, "EMAIL", now, 1).await;

    let inserted = store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![keyed("EMAIL", now, "k")],
            now,
        })
        .await
        .expect("insert");

    assert!(inserted[0].duplicate);
    assert_eq!(inserted[0].task.id, holder.id);
    assert_eq!(inserted[0].task.status, TaskStatus::InProgress);
    assert_same_task(&inserted[0].task, &lease.task);
}

/// `COMPLETED` and `FAILED` tasks do not hold their key.
pub async fn unique_key_released_by_terminal_states(store: SharedStore) {
    let now = now();
    let done = insert(&*store, keyed("EMAIL", now, "k"), now).await;
    let lease = claim_one(&*store, "EMAIL", now, 1).await;
    assert!(finish_one(&*store, complete(&lease), now).await);

    let failed = insert(&*store, keyed("EMAIL", now, "k"), now).await;
    assert_ne!(failed.id, done.id);
    let lease = claim_one(&*store, "EMAIL", now, 2).await;
    assert!(finish_one(&*store, fail(&lease, "boom"), now).await);

    let third = insert(&*store, keyed("EMAIL", now, "k"), now).await;
    assert_ne!(third.id, failed.id);
    let all = all_tasks(&*store).await;
    assert_eq!(sorted_ids(&all), sorted_ids([&done, &failed, &third]));
}

/// Deleting the holder frees its key.
pub async fn unique_key_released_by_delete(store: SharedStore) {
    let now = now();
    let holder = insert(&*store, keyed("EMAIL", now, "k"), now).await;
    store
        .task_delete(&TaskDeleteParams::new(&holder.id))
        .await
        .expect("delete")
        .expect("was there");
    let next = insert(&*store, keyed("EMAIL", now, "k"), now).await;
    assert_ne!(next.id, holder.id);
}

/// Within one batch, a later task with the same key is a duplicate of the earlier one.
pub async fn unique_key_dedupes_within_one_batch(store: SharedStore) {
    let now = now();
    let (a, b, c) = (
        keyed("EMAIL", now, "k"),
        task("EMAIL", now),
        keyed("SMS", now, "k"),
    );

    let inserted = store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![a.clone(), b.clone(), c.clone()],
            now,
        })
        .await
        .expect("insert");

    let flags: Vec<bool> = inserted.iter().map(|i| i.duplicate).collect();
    assert_eq!(flags, [false, false, true]);
    assert_eq!(inserted[2].task.id, a.id);
    assert!(
        store
            .task_get(&TaskGetParams::new(&c.id))
            .await
            .expect("get")
            .is_none()
    );
}

/// Many concurrent inserts of one key create exactly one task; the rest get it back.
pub async fn concurrent_inserts_of_one_key_create_one(store: SharedStore) {
    let now = now();
    let mut inserts = JoinSet::new();
    for _ in 0..24 {
        let store = store.clone();
        inserts.spawn(async move {
            store
                .task_insert_many(TaskInsertManyParams {
                    tasks: vec![keyed("EMAIL", now, "once")],
                    now,
                })
                .await
        });
    }
    let mut created = Vec::new();
    let mut returned = Vec::new();
    while let Some(joined) = inserts.join_next().await {
        let inserted = joined.expect("insert task ran").expect("insert");
        let one = &inserted[0];
        if one.duplicate {
            &mut returned
        } else {
            &mut created
        }
        .push(one.task.id.clone());
    }
    assert_eq!(created.len(), 1, "exactly one insert creates the task");
    assert!(
        returned.iter().all(|id| *id == created[0]),
        "every duplicate returns the holder"
    );
    assert_eq!(all_tasks(&*store).await.len(), 1);
}
