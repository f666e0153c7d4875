//! Cases for `task_page`: keyset pages in both orders, every filter field alone
//! and together, the cursor and the limit. Each expectation comes from
//! [`TaskFilter::matches`], the reference semantics.

use std::collections::HashMap;

use rustqueue_core::store::{PageOrder, Store, TaskDeleteParams, TaskFilter, TaskPageParams};
use rustqueue_core::task::{Task, TaskStatus};

use crate::fixtures::{SharedStore, all_tasks, assert_same_task, insert_mix, now, secs};

/// Both orders, newest first (the default) then oldest first.
pub const ORDERS: [PageOrder; 2] = [PageOrder::NewestFirst, PageOrder::OldestFirst];

/// One page.
pub async fn page(
    store: &dyn Store,
    filter: &TaskFilter,
    order: PageOrder,
    after: Option<&str>,
    limit: usize,
) -> Vec<Task> {
    let params = TaskPageParams {
        filter: filter.clone(),
        order,
        after: after.map(str::to_owned),
        limit,
    };
    store.task_page(&params).await.expect("page")
}

/// Walks every page of `filter` in `order`, `limit` at a time, each page
/// starting after the previous page's last id; returns the tasks in page order.
pub async fn walk(
    store: &dyn Store,
    filter: &TaskFilter,
    order: PageOrder,
    limit: usize,
) -> Vec<Task> {
    assert!(limit > 0, "a walk needs pages that hold something");
    let total = all_tasks(store).await.len();
    let mut walked: Vec<Task> = Vec::new();
    loop {
        let after = walked.last().map(|t| t.id.clone());
        let next = page(store, filter, order, after.as_deref(), limit).await;
        assert!(
            next.len() <= limit,
            "a page of {} past its limit",
            next.len()
        );
        let full = next.len() == limit;
        walked.extend(next);
        assert!(walked.len() <= total, "pages repeat tasks: {filter:?}");
        if !full {
            return walked;
        }
    }
}

/// The ids the reference semantics select, in `order`.
pub fn expected(all: &[Task], filter: &TaskFilter, order: PageOrder) -> Vec<String> {
    let mut ids: Vec<String> = all
        .iter()
        .filter(|t| filter.matches(t))
        .map(|t| t.id.clone())
        .collect();
    ids.sort();
    if order == PageOrder::NewestFirst {
        ids.reverse();
    }
    ids
}

/// Asserts that walking `filter` in both orders yields exactly the reference
/// selection, without gaps or repeats, and returns how many tasks it selects.
pub async fn assert_walks(store: &dyn Store, all: &[Task], filter: &TaskFilter) -> usize {
    let mut selected = 0;
    for order in ORDERS {
        for limit in [1, 4, 100] {
            let walked = walk(store, filter, order, limit).await;
            let ids: Vec<String> = walked.iter().map(|t| t.id.clone()).collect();
            let want = expected(all, filter, order);
            assert_eq!(ids, want, "{filter:?} {order:?} in pages of {limit}");
            selected = want.len();
        }
    }
    selected
}

fn status(status: TaskStatus) -> TaskFilter {
    TaskFilter {
        status: Some(status),
        ..TaskFilter::default()
    }
}

fn of_type(task_type: &str) -> TaskFilter {
    TaskFilter {
        task_type: Some(task_type.to_owned()),
        ..TaskFilter::default()
    }
}

fn in_queue(queue: &str) -> TaskFilter {
    TaskFilter {
        queue: Some(queue.to_owned()),
        ..TaskFilter::default()
    }
}

/// Every task comes back whole, in id order both ways, whatever the page size.
pub async fn page_walks_every_task_in_both_orders(store: SharedStore) {
    let all = insert_mix(&*store, now()).await;
    let by_id: HashMap<&str, &Task> = all.iter().map(|t| (t.id.as_str(), t)).collect();

    for order in ORDERS {
        for limit in [1, 5, 24, 100] {
            let walked = walk(&*store, &TaskFilter::default(), order, limit).await;
            let ids: Vec<String> = walked.iter().map(|t| t.id.clone()).collect();
            assert_eq!(ids, expected(&all, &TaskFilter::default(), order));
            for task in &walked {
                assert_same_task(task, by_id[task.id.as_str()]);
            }
        }
    }
}

/// Each filter field alone selects exactly what the reference semantics select.
pub async fn page_filters_by_each_field_alone(store: SharedStore) {
    let base = now();
    let all = insert_mix(&*store, base).await;

    for (s, n) in [
        (TaskStatus::Queued, 16),
        (TaskStatus::InProgress, 2),
        (TaskStatus::Completed, 3),
        (TaskStatus::Failed, 3),
    ] {
        assert_eq!(assert_walks(&*store, &all, &status(s)).await, n, "{s}");
    }
    assert_eq!(assert_walks(&*store, &all, &of_type("EMAIL")).await, 12);
    assert_eq!(assert_walks(&*store, &all, &of_type("SMS")).await, 12);
    assert_eq!(assert_walks(&*store, &all, &of_type("email")).await, 0);
    assert_eq!(assert_walks(&*store, &all, &in_queue("bulk")).await, 12);
    assert_eq!(assert_walks(&*store, &all, &in_queue("nope")).await, 0);
    // Batches were created at base + 1h, base - 1h, base, against id order.
    let created = |after: Option<i64>, before: Option<i64>| TaskFilter {
        created_after: after.map(|s| secs(base, s)),
        created_before: before.map(|s| secs(base, s)),
        ..TaskFilter::default()
    };
    for (filter, n) in [
        (created(Some(0), None), 16),
        (created(Some(1), None), 8),
        (created(Some(3600), None), 8),
        (created(Some(3601), None), 0),
        (created(None, Some(0)), 8),
        (created(None, Some(1)), 16),
        (created(None, Some(-3600)), 0),
        (created(Some(-3600), Some(3600)), 16),
        (created(Some(-1), Some(1)), 8),
    ] {
        assert_eq!(assert_walks(&*store, &all, &filter).await, n, "{filter:?}");
    }
}

/// Filter fields narrow together.
pub async fn page_filters_combined(store: SharedStore) {
    let base = now();
    let all = insert_mix(&*store, base).await;
    let combos = [
        (
            TaskFilter {
                status: Some(TaskStatus::Queued),
                task_type: Some("EMAIL".to_owned()),
                ..TaskFilter::default()
            },
            7,
        ),
        (
            TaskFilter {
                status: Some(TaskStatus::Failed),
                queue: Some("default".to_owned()),
                ..TaskFilter::default()
            },
            1,
        ),
        (
            TaskFilter {
                task_type: Some("SMS".to_owned()),
                queue: Some("bulk".to_owned()),
                created_after: Some(base),
                ..TaskFilter::default()
            },
            4,
        ),
        (
            TaskFilter {
                status: Some(TaskStatus::Queued),
                search: Some("CHARLIE".to_owned()),
                created_before: Some(secs(base, 1)),
                ..TaskFilter::default()
            },
            6,
        ),
        (
            TaskFilter {
                status: Some(TaskStatus::Completed),
                task_type: Some("EMAIL".to_owned()),
                queue: Some("default".to_owned()),
                search: Some("example.com".to_owned()),
                created_after: Some(secs(base, -3600)),
                created_before: Some(secs(base, 3601)),
            },
            1,
        ),
    ];
    for (filter, n) in combos {
        assert_eq!(assert_walks(&*store, &all, &filter).await, n, "{filter:?}");
    }
}

/// The cursor is a position, not a member: any id works, even one that is
/// filtered out, deleted, or never existed.
pub async fn page_cursor_need_not_be_in_the_set(store: SharedStore) {
    let all = insert_mix(&*store, now()).await;
    let failed = status(TaskStatus::Failed);
    let everything = TaskFilter::default();
    let ids = |tasks: Vec<Task>| tasks.into_iter().map(|t| t.id).collect::<Vec<_>>();
    let newest = expected(&all, &everything, PageOrder::NewestFirst);
    let oldest = expected(&all, &everything, PageOrder::OldestFirst);

    // Task 5 is running: a cursor outside the FAILED set.
    let cursor = all[5].id.clone();
    let got = ids(page(&*store, &failed, PageOrder::OldestFirst, Some(&cursor), 10).await);
    assert_eq!(got, [all[6].id.clone()]);
    let got = ids(page(&*store, &failed, PageOrder::NewestFirst, Some(&cursor), 10).await);
    assert_eq!(got, [all[4].id.clone(), all[3].id.clone()]);

    store
        .task_delete(&TaskDeleteParams::new(&cursor))
        .await
        .expect("delete");
    let got = ids(page(
        &*store,
        &everything,
        PageOrder::OldestFirst,
        Some(&cursor),
        3,
    )
    .await);
    assert_eq!(got, oldest[6..9]);

    assert_eq!(
        ids(page(&*store, &everything, PageOrder::OldestFirst, Some(""), 2).await),
        oldest[..2]
    );
    assert!(
        page(&*store, &everything, PageOrder::NewestFirst, Some(""), 2)
            .await
            .is_empty()
    );
    assert_eq!(
        ids(page(&*store, &everything, PageOrder::NewestFirst, Some("~"), 2).await),
        newest[..2]
    );
    assert!(
        page(&*store, &everything, PageOrder::OldestFirst, Some("~"), 2)
            .await
            .is_empty()
    );
}

/// A page holds at most `limit` tasks, the first ones in order; a limit of 0 holds none.
pub async fn page_respects_limit(store: SharedStore) {
    let all = insert_mix(&*store, now()).await;
    let queued = status(TaskStatus::Queued);
    for order in ORDERS {
        let want = expected(&all, &queued, order);
        for limit in [0, 1, 3, 13, 50] {
            let got: Vec<String> = page(&*store, &queued, order, None, limit)
                .await
                .into_iter()
                .map(|t| t.id)
                .collect();
            assert_eq!(got, want[..limit.min(want.len())], "limit {limit}");
        }
    }
    assert!(
        page(
            &*store,
            &TaskFilter::default(),
            PageOrder::NewestFirst,
            None,
            0
        )
        .await
        .is_empty()
    );
}
