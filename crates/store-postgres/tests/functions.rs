//! The SQL functions' bodies come from `sql/functions/` at every connect: a
//! fresh schema and one migrated from the oldest version end with the same
//! functions, connecting again changes nothing, and a changed body is put back.

mod common;

use common::{SchemaGuard, inspect, new_task, now, url};
use rustqueue_store_postgres::PostgresStore;
use tokio::task::JoinSet;

use rustqueue_core::store::{
    CLAIM_ORDER_SQL, LeaseToken, Store, TaskClaimParams, TaskInsertManyParams,
};

/// Every function in `schema`: name, arguments, result, language, settings,
/// volatility and body, with the schema's name taken out so that two
/// schemas compare equal.
async fn functions(schema: &str) -> Vec<String> {
    let sql = "SELECT concat_ws(' | ', p.proname, pg_get_function_identity_arguments(p.oid), \
               pg_get_function_result(p.oid), l.lanname, p.proconfig::text, \
               p.provolatile::text, p.prosrc) \
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
               JOIN pg_language l ON l.oid = p.prolang \
               WHERE n.nspname = $1 ORDER BY p.proname, 1";
    let rows = inspect()
        .await
        .query(sql, &[&schema])
        .await
        .expect("functions");
    rows.iter()
        .map(|row| row.get::<_, String>(0).replace(schema, "<schema>"))
        .collect()
}

/// Brings `schema` to version 1 by hand, as the first release left it.
async fn migrate_to_first_version(schema: &str) {
    let sql = format!(
        "CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\"; {} \
         CREATE TABLE schema_migrations (version bigint PRIMARY KEY, \
         applied_at timestamptz NOT NULL DEFAULT now()); \
         INSERT INTO schema_migrations (version) VALUES (1);",
        include_str!("../migrations/0001_init.sql")
    );
    inspect()
        .await
        .batch_execute(&sql)
        .await
        .expect("version 1");
}

#[tokio::test]
async fn a_fresh_schema_and_a_migrated_one_end_with_the_same_functions() {
    let fresh = SchemaGuard::new();
    drop(fresh.connect().await);
    let migrated = SchemaGuard::new();
    migrate_to_first_version(&migrated.name).await;
    let first = functions(&migrated.name).await;
    drop(migrated.connect().await);

    let expected = functions(&fresh.name).await;
    assert_eq!(functions(&migrated.name).await, expected);
    assert_ne!(first, expected, "version 1 had other functions");
    let names: Vec<&str> = expected
        .iter()
        .filter_map(|f| f.split(" | ").next())
        .collect();
    assert_eq!(
        names,
        [
            "active_queues",
            "claim_tasks",
            "due_tasks",
            "fair_due_tasks",
            "key_candidates",
            "limited_due_tasks",
            "next_level",
            "next_run_at"
        ]
    );
    let claim = expected
        .iter()
        .find(|f| f.starts_with("claim_tasks"))
        .expect("claim_tasks");
    // The core claim order over the due tasks' places (place_id for id).
    let by_place: Vec<String> = CLAIM_ORDER_SQL
        .split(", ")
        .map(|term| match term {
            "id" => "d.place_id".to_owned(),
            other => format!("d.due_{other}"),
        })
        .collect();
    assert!(
        claim.contains(&format!("ORDER BY {}", by_place.join(", "))),
        "claim_tasks merges the due tasks in the core claim order, by place: {claim}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_again_and_at_once_leaves_the_functions_as_they_were() {
    let schema = SchemaGuard::new();
    let first = schema.connect().await;
    let before = functions(&schema.name).await;

    let mut nodes = JoinSet::new();
    for _ in 0..3 {
        let options = schema.options();
        nodes.spawn(async move { PostgresStore::connect(&url(), options).await });
    }
    while let Some(connected) = nodes.join_next().await {
        drop(connected.expect("node task").expect("every node connects"));
    }
    assert_eq!(functions(&schema.name).await, before);

    // A body changed behind the store's back is put back by the next connect.
    let stale = format!(
        "CREATE OR REPLACE FUNCTION \"{}\".next_level(queue_name text, above bigint) \
         RETURNS integer LANGUAGE sql STABLE AS $$ SELECT NULL::integer $$",
        schema.name
    );
    inspect()
        .await
        .batch_execute(&stale)
        .await
        .expect("stale body");
    assert_ne!(functions(&schema.name).await, before);
    drop(schema.connect().await);
    assert_eq!(functions(&schema.name).await, before);

    // The first store's prepared claim still runs against the replaced bodies.
    first
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![new_task("EMAIL")],
            now: now(),
        })
        .await
        .expect("insert");
    let claimed = first
        .task_claim(&TaskClaimParams {
            types: vec!["EMAIL".to_owned()],
            limit: 10,
            now: now(),
            lease_token: LeaseToken(7),
            lease_expires_at: now() + chrono::TimeDelta::seconds(30),
            holder: "node:test".to_owned(),
        })
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
}
