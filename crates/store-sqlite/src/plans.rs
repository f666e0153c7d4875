//! Checks that every statement on the hot path and every read that must stay
//! fast with millions of tasks uses the index it was designed around.

use rusqlite::Connection;
use rustqueue_core::store::TaskFilter;
use rustqueue_core::task::TaskStatus;

use crate::{
    backlog, counters, filter, history, insert, lease, limited, migrate, page, queries, queues,
    ready, search,
};

fn migrated() -> Connection {
    let mut conn = Connection::open_in_memory().expect("open");
    migrate::migrate(&mut conn, std::path::Path::new(":memory:")).expect("migrate");
    conn
}

fn plan(sql: &str) -> String {
    plan_on(&migrated(), sql)
}

fn plan_on(conn: &Connection, sql: &str) -> String {
    crate::testing::query_plan(conn, sql).expect("query plan")
}

#[track_caller]
fn assert_uses(sql: &str, expected: &[&str]) {
    let plan = plan(sql);
    for index in expected {
        assert!(plan.contains(index), "expected {index} in plan:\n{plan}");
    }
    let full_scan = plan.lines().any(|line| line.trim() == "SCAN tasks");
    assert!(!full_scan, "full table scan in plan:\n{plan}");
}

/// Each read of the ready tasks is a range of one queue's index, in order:
/// none sorts, and none reads outside its queue and priority level.
#[test]
fn claims_read_ranges_of_the_ready_index_in_order() {
    let ranges = [
        (ready::NEXT_LEVEL, "tasks_ready (queue=? AND priority<?)"),
        (
            ready::DUE_AT_LEVEL.as_str(),
            "tasks_ready (queue=? AND priority=? AND run_at<?)",
        ),
        (
            ready::DUE_BELOW.as_str(),
            "tasks_ready (queue=? AND priority<?)",
        ),
        (
            ready::FIRST_AT_LEVEL,
            "tasks_ready (queue=? AND priority=?)",
        ),
        (ready::FIRST_BELOW, "tasks_ready (queue=? AND priority<?)"),
    ];
    for (sql, range) in ranges {
        assert_uses(sql, &[range]);
        assert!(!plan(sql).contains("TEMP B-TREE"), "sorts:\n{}", plan(sql));
    }
    assert_uses(
        ready::ACTIVE_QUEUES,
        &["COVERING INDEX tasks_ready (queue>?)"],
    );
    assert_uses(lease::CLAIM, &["sqlite_autoindex_tasks_1 (id=?)"]);
}

/// A limited claim counts running tasks and reads ready keyed tasks through
/// their own indexes, one key at a time, without sorting.
#[test]
fn limited_claims_read_the_running_and_by_key_indexes() {
    let ranges = [
        (limited::RUNNING, "tasks_running (queue=?)"),
        (limited::RUNNING_BY_KEY, "tasks_running (queue=?"),
        (
            limited::READY_KEYS,
            "tasks_ready_by_key (queue=? AND concurrency_key>?)",
        ),
        (
            limited::DUE_IN_KEY.as_str(),
            "tasks_ready_by_key (queue=? AND concurrency_key=?)",
        ),
        (limited::DUE_UNKEYED.as_str(), "tasks_ready (queue=?)"),
    ];
    for (sql, range) in ranges {
        assert_uses(sql, &[range]);
        assert!(!plan(sql).contains("TEMP B-TREE"), "sorts:\n{}", plan(sql));
    }
    assert_uses(queues::KEY_USAGE, &["tasks_running (queue=?"]);
}

/// The backlog reads ranges of one queue's level in the ready index: the
/// due tasks are never read, whatever their number.
#[test]
fn backlog_reads_ranges_of_the_ready_index() {
    let ranges = [
        (
            backlog::OLDEST_DUE_AT_LEVEL,
            "tasks_ready (queue=? AND priority=? AND run_at<?)",
        ),
        (
            backlog::LATER_AT_LEVEL,
            "tasks_ready (queue=? AND priority=? AND run_at>?)",
        ),
        (
            backlog::OLDEST_DUE_BELOW,
            "tasks_ready (queue=? AND priority<?)",
        ),
        (backlog::LATER_BELOW, "tasks_ready (queue=? AND priority<?)"),
    ];
    for (sql, range) in ranges {
        assert_uses(sql, &[range]);
        assert!(!plan(sql).contains("TEMP B-TREE"), "sorts:\n{}", plan(sql));
    }
    assert_uses(
        backlog::QUEUED_QUEUES,
        &["COVERING INDEX tasks_ready (queue>?)"],
    );
}

#[test]
fn finishes_and_events_seek_by_key() {
    assert_uses(lease::FINISH, &["sqlite_autoindex_tasks_1 (id=?)"]);
    assert_uses(history::APPEND, &["PRIMARY KEY (task_id=?)"]);
    assert_uses(insert::KEY_HOLDER, &["tasks_unique_key (unique_key=?)"]);
}

#[test]
fn reaper_and_dispatcher_reads_use_partial_indexes() {
    assert_uses(queries::EXPIRED, &["tasks_leased (lease_expires_at<?)"]);
    assert_uses(queues::QUEUES, &["COVERING INDEX tasks_queue (queue>?)"]);
    assert_uses(
        queries::list_status_sql(TaskStatus::Failed),
        &["tasks_status (status=?)"],
    );
}

#[test]
fn counters_and_search_upkeep_seek_by_key() {
    assert_uses(counters::ROWS, &["task_counts"]);
    assert_uses(counters::BY_STATUS, &["task_counts"]);
    assert_uses(counters::UPSERT, &[]);
    assert_uses(search::PROBE, &["VIRTUAL TABLE"]);
}

/// The plan of a page of `filter`, newest first after a cursor, in a store
/// whose id clock is set (so time filters become id ranges).
fn page_plan(filter: &TaskFilter) -> String {
    let conn = migrated();
    conn.execute_batch("UPDATE task_id_clock SET min_skew = -5, max_skew = 5")
        .expect("set the id clock");
    let mut selected = filter::select(&conn, filter).expect("select");
    selected.and("id < ?", []);
    plan_on(
        &conn,
        &page::page_sql(selected.from, &selected.terms, "DESC"),
    )
}

#[test]
fn each_page_filter_walks_an_index_in_id_order() {
    let text = |s: &str| Some(s.to_owned());
    let cases = [
        (TaskFilter::default(), "sqlite_autoindex_tasks_1 (id<?)"),
        (
            TaskFilter {
                task_type: text("EMAIL"),
                ..TaskFilter::default()
            },
            "tasks_type (task_type=? AND id<?)",
        ),
        (
            TaskFilter {
                queue: text("default"),
                ..TaskFilter::default()
            },
            "tasks_queue (queue=? AND id<?)",
        ),
        (
            TaskFilter {
                created_after: Some(chrono::Utc::now()),
                created_before: Some(chrono::Utc::now()),
                ..TaskFilter::default()
            },
            "sqlite_autoindex_tasks_1 (id>? AND id<?)",
        ),
        (
            TaskFilter {
                status: Some(TaskStatus::Completed),
                ..TaskFilter::default()
            },
            "sqlite_autoindex_tasks_1 (id<?)",
        ),
    ];
    let statuses = [TaskStatus::Queued, TaskStatus::Failed].map(|s| {
        let filter = TaskFilter {
            status: Some(s),
            ..TaskFilter::default()
        };
        (filter, "tasks_status (status=? AND id<?)")
    });
    for (filter, index) in cases.into_iter().chain(statuses) {
        let plan = page_plan(&filter);
        assert!(
            plan.contains(index),
            "{filter:?}: expected {index} in\n{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{filter:?} sorts:\n{plan}");
        assert!(!plan.lines().any(|l| l.trim() == "SCAN tasks"), "{plan}");
    }
}

#[test]
fn a_running_page_sorts_the_leased_tasks() {
    let filter = TaskFilter {
        status: Some(TaskStatus::InProgress),
        ..TaskFilter::default()
    };
    let plan = page_plan(&filter);
    assert!(plan.contains("INDEX tasks_leased"), "{plan}");
    assert!(!plan.lines().any(|l| l.trim() == "SCAN tasks"), "{plan}");
}

#[test]
fn a_rare_search_looks_up_its_candidates_by_rowid() {
    // An empty index makes every search rare.
    let filter = TaskFilter {
        search: Some("needle".to_owned()),
        ..TaskFilter::default()
    };
    let plan = page_plan(&filter);
    assert!(plan.contains("VIRTUAL TABLE"), "{plan}");
    assert!(plan.contains("INTEGER PRIMARY KEY (rowid=?)"), "{plan}");
}

#[test]
#[ignore = "prints the plans for a person to read"]
fn print_plans() {
    let lists = TaskStatus::ALL.map(queries::list_status_sql);
    for sql in [
        lease::CLAIM,
        lease::FINISH,
        counters::BY_STATUS,
        ready::DUE_AT_LEVEL.as_str(),
        ready::FIRST_AT_LEVEL,
    ]
    .iter()
    .chain(&lists)
    {
        println!("{sql}\n{}\n", plan(sql));
    }
}
