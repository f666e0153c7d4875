//! Checks that every statement on the hot path and every read that must stay
//! fast with millions of tasks uses the index it was designed around.

use rusqlite::Connection;
use rustqueue_core::task::TaskStatus;

use crate::{history, lease, migrate, queries, tasks};

fn plan(sql: &str) -> String {
    let mut conn = Connection::open_in_memory().expect("open");
    migrate::migrate(&mut conn, std::path::Path::new(":memory:")).expect("migrate");
    let mut explain = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explain");
    // Parameters stay unbound (NULL): the plan does not depend on their values.
    let mut rows = explain.raw_query();
    let mut lines = Vec::new();
    while let Some(row) = rows.next().expect("plan row") {
        lines.push(row.get::<_, String>(3).expect("plan detail"));
    }
    lines.join("\n")
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

#[test]
fn claims_walk_the_ready_index_in_order() {
    assert_uses(lease::CLAIM, &["COVERING INDEX tasks_ready"]);
    assert!(
        !plan(lease::CLAIM).contains("TEMP B-TREE"),
        "claims must not sort:\n{}",
        plan(lease::CLAIM)
    );
}

#[test]
fn finishes_and_events_seek_by_key() {
    assert_uses(lease::FINISH, &["sqlite_autoindex_tasks_1 (id=?)"]);
    assert_uses(history::APPEND, &["PRIMARY KEY (task_id=?)"]);
    assert_uses(tasks::KEY_HOLDER, &["tasks_unique_key (unique_key=?)"]);
}

#[test]
fn reaper_and_dispatcher_reads_use_partial_indexes() {
    assert_uses(queries::EXPIRED, &["tasks_leased (lease_expires_at<?)"]);
    assert_uses(queries::NEXT_RUN_AT, &["COVERING INDEX tasks_ready"]);
    let covering = [
        "COVERING INDEX tasks_ready",
        "COVERING INDEX tasks_leased",
        "COVERING INDEX tasks_failed",
    ];
    assert_uses(queries::COUNTS, &covering);
    assert_uses(queries::COUNTS, &["COVERING INDEX tasks_queue"]);
    assert_uses(queries::QUEUES, &["COVERING INDEX tasks_queue (queue>?)"]);
    assert_uses(
        queries::list_status_sql(TaskStatus::Failed),
        &["tasks_failed"],
    );
}

#[test]
#[ignore = "prints the plans for a person to read"]
fn print_plans() {
    let lists = TaskStatus::ALL.map(queries::list_status_sql);
    for sql in [
        lease::CLAIM,
        lease::FINISH,
        queries::COUNTS,
        queries::NEXT_RUN_AT,
    ]
    .iter()
    .chain(&lists)
    {
        println!("{sql}\n{}\n", plan(sql));
    }
}
