//! Cron in the engine, in paused tokio time on the memory store: ticks are
//! enqueued on time, missed ticks are skipped after downtime unless the
//! entry backfills, and a disabled entry enqueues nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use rustqueue_core::clock::{Clock, TokioClock};
use rustqueue_core::cron::{CronEntry, Schedule};
use rustqueue_core::engine::CronStatus;
use rustqueue_core::store::Store;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::task::{Task, Timestamp};
use rustqueue_core::{Engine, EngineConfig, EngineError, Registry};
use serde_json::value::RawValue;

/// Every ten minutes, on the minute.
const TEN_MINUTES: &str = "0 */10 * * * *";

fn entry(name: &str, expression: &str, backfill: bool) -> CronEntry {
    let schedule = Schedule::parse(expression, "UTC").expect("valid schedule");
    let payload = RawValue::from_string(r#"{"from":"cron"}"#.into()).expect("JSON");
    let mut entry = CronEntry::new(name, schedule, "TICK", payload).expect("valid entry");
    entry.queue = Some("cron".into());
    entry.priority = Some(5);
    entry.backfill = backfill;
    entry
}

/// A node whose TICK tasks are left queued (run by remote workers), so the test counts them.
async fn node(
    store: &Arc<MemoryStore>,
    clock: &Arc<TokioClock>,
    entries: Vec<CronEntry>,
) -> Engine {
    let mut registry = Registry::new();
    registry.declare_remote("TICK", "counted by the test");
    let config = EngineConfig {
        cron: entries,
        ..EngineConfig::default()
    };
    let engine = Engine::new(store.clone(), registry, config, clock.clone());
    engine.start().await.expect("engine starts");
    engine
}

async fn tasks(store: &MemoryStore) -> Vec<Task> {
    store.task_list(&Default::default()).await.expect("list")
}

/// Sleeps (in paused time) until a second past `at`.
async fn sleep_past(clock: &TokioClock, at: Timestamp) {
    let wait = (at - clock.now() + TimeDelta::seconds(1))
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait).await;
}

async fn status(engine: &Engine, name: &str) -> CronStatus {
    let entries = engine.cron_entries().await.expect("entries");
    entries
        .into_iter()
        .find(|s| s.entry.name == name)
        .expect("listed")
}

/// Runs a node until its first tick, then stops it and lets 35 minutes pass:
/// three ticks are missed, the latest of them 5 minutes late. Returns the
/// first tick.
async fn first_tick_then_downtime(
    store: &Arc<MemoryStore>,
    clock: &Arc<TokioClock>,
    backfill: bool,
) -> Timestamp {
    let engine = node(store, clock, vec![entry("report", TEN_MINUTES, backfill)]).await;
    let first = status(&engine, "report")
        .await
        .next_run
        .expect("a next run");
    sleep_past(clock, first).await;
    let ran = status(&engine, "report").await;
    assert_eq!(ran.record.last_tick, Some(first));
    assert_eq!(ran.next_run, Some(first + TimeDelta::minutes(10)));
    let made = tasks(store).await;
    assert_eq!(made.len(), 1, "one task per tick");
    assert_eq!(
        ran.record.last_task_id.as_deref(),
        Some(made[0].id.as_str())
    );
    assert_eq!((made[0].queue.as_str(), made[0].priority), ("cron", 5));
    assert_eq!(made[0].payload.get(), r#"{"from":"cron"}"#);
    engine.shutdown().await;
    tokio::time::advance(Duration::from_secs(35 * 60)).await;
    first
}

#[tokio::test(start_paused = true)]
async fn missed_ticks_are_skipped_after_downtime() {
    let store = Arc::new(MemoryStore::new());
    let clock = TokioClock::new();
    let first = first_tick_then_downtime(&store, &clock, false).await;

    let engine = node(&store, &clock, vec![entry("report", TEN_MINUTES, false)]).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        tasks(&store).await.len(),
        1,
        "the missed ticks were skipped"
    );
    let next = first + TimeDelta::minutes(40);
    assert_eq!(status(&engine, "report").await.next_run, Some(next));
    sleep_past(&clock, next).await;
    assert_eq!(tasks(&store).await.len(), 2, "the next tick runs on time");
    assert_eq!(status(&engine, "report").await.record.last_tick, Some(next));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn missed_ticks_are_backfilled_when_asked() {
    let store = Arc::new(MemoryStore::new());
    let clock = TokioClock::new();
    let first = first_tick_then_downtime(&store, &clock, true).await;

    let engine = node(&store, &clock, vec![entry("report", TEN_MINUTES, true)]).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let made = tasks(&store).await;
    assert_eq!(made.len(), 4, "the three missed ticks were enqueued");
    let last = status(&engine, "report").await.record;
    assert_eq!(last.last_tick, Some(first + TimeDelta::minutes(30)));
    assert_eq!(
        last.last_task_id.as_deref(),
        made.last().map(|t| t.id.as_str())
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_late_start_within_the_grace_still_runs_the_tick() {
    let store = Arc::new(MemoryStore::new());
    let clock = TokioClock::new();
    let first = first_tick_then_downtime(&store, &clock, false).await;
    // 35 minutes down; 5 more reach the next tick, which a start 30 s late still runs.
    tokio::time::advance(Duration::from_secs(5 * 60 + 30)).await;
    let engine = node(&store, &clock, vec![entry("report", TEN_MINUTES, false)]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(tasks(&store).await.len(), 2);
    let record = status(&engine, "report").await.record;
    assert_eq!(record.last_tick, Some(first + TimeDelta::minutes(40)));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_disabled_entry_enqueues_nothing_and_skips_what_it_missed() {
    let store = Arc::new(MemoryStore::new());
    let clock = TokioClock::new();
    let engine = node(&store, &clock, vec![entry("often", "*/5 * * * * *", true)]).await;
    let off = engine
        .cron_set_enabled("often", false)
        .await
        .expect("disable");
    assert!(!off.record.enabled);
    assert_eq!(off.next_run, None, "a disabled entry has no next run");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(
        tasks(&store).await.is_empty(),
        "a disabled entry enqueued a task"
    );

    let on = engine
        .cron_set_enabled("often", true)
        .await
        .expect("enable");
    let next = on.next_run.expect("enabled again, it has a next run");
    assert!(
        next > clock.now(),
        "ticks missed while disabled are not backfilled"
    );
    sleep_past(&clock, next).await;
    assert_eq!(tasks(&store).await.len(), 1);
    let missing = engine.cron_set_enabled("nope", false).await;
    assert!(matches!(missing, Err(EngineError::CronNotFound(_))));
    engine.shutdown().await;
}

#[tokio::test]
async fn bad_entries_stop_the_start() {
    let store = Arc::new(MemoryStore::new());
    let mut unknown = entry("report", TEN_MINUTES, false);
    unknown.task_type = "NOPE".into();
    let twice = vec![
        entry("a", TEN_MINUTES, false),
        entry("a", TEN_MINUTES, false),
    ];
    for (entries, says) in [
        (vec![unknown], "unknown task type"),
        (twice, "two cron entries"),
    ] {
        let mut registry = Registry::new();
        registry.declare_remote("TICK", "known");
        let engine = Engine::new(
            store.clone(),
            registry,
            EngineConfig {
                cron: entries,
                ..EngineConfig::default()
            },
            TokioClock::new(),
        );
        let error = engine.start().await.expect_err("refused").to_string();
        assert!(error.contains(says), "{error}");
    }
}
