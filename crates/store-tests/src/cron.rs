//! Cases for cron records: registering keeps existing records, enabling
//! again restarts the count of ticks, and enqueuing a tick is a
//! compare-and-set on the last tick that inserts the task with it, so of
//! racing callers exactly one enqueues each tick.

use rustqueue_core::store::{
    CronFire, CronFireParams, CronRecord, CronRegisterParams, CronSetEnabledParams, Store,
};
use rustqueue_core::task::{EventKind, TaskStatus, Timestamp};
use tokio::task::JoinSet;

use crate::counters::assert_counters_match;
use crate::fixtures::{SharedStore, all_tasks, get, history, now, secs, task};

async fn record(store: &dyn Store, name: &str) -> CronRecord {
    let records = store.cron_list().await.expect("list");
    records
        .into_iter()
        .find(|r| r.name == name)
        .expect("the record exists")
}

fn fire(name: &str, previous: Option<Timestamp>, tick: Timestamp) -> CronFire {
    CronFire {
        name: name.to_owned(),
        previous,
        tick,
        task: task("CRON", tick),
    }
}

/// Records are created once, listed by name, and enabling again moves `since`.
pub async fn cron_records_register_list_and_enable(store: SharedStore) {
    let start = now();
    let names = vec!["nightly".to_owned(), "every-minute".to_owned()];
    store
        .cron_register(&CronRegisterParams {
            names: names.clone(),
            now: start,
        })
        .await
        .expect("register");
    store
        .cron_register(&CronRegisterParams {
            names,
            now: secs(start, 60),
        })
        .await
        .expect("registering again changes nothing");
    let records = store.cron_list().await.expect("list");
    let listed: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(listed, ["every-minute", "nightly"]);
    assert_eq!(records[1], CronRecord::new("nightly", start));

    let off = store
        .cron_set_enabled(&CronSetEnabledParams::new(
            "nightly",
            false,
            secs(start, 10),
        ))
        .await
        .expect("disable");
    assert!(!off.enabled);
    assert_eq!(off.since, start, "disabling keeps since");
    let on = store
        .cron_set_enabled(&CronSetEnabledParams::new("nightly", true, secs(start, 20)))
        .await
        .expect("enable");
    assert!(on.enabled);
    assert_eq!(
        on.since,
        secs(start, 20),
        "enabling again restarts the count"
    );
    let again = store
        .cron_set_enabled(&CronSetEnabledParams::new("nightly", true, secs(start, 30)))
        .await
        .expect("enable an enabled entry");
    assert_eq!(
        again.since,
        secs(start, 20),
        "enabling an enabled entry keeps since"
    );
    assert_eq!(record(&*store, "nightly").await, again);

    let created = store
        .cron_set_enabled(&CronSetEnabledParams::new("new", false, start))
        .await
        .expect("an unknown entry gets a record");
    assert_eq!((created.enabled, created.since), (false, start));
}

/// A tick is enqueued only over the last tick read, after `since`, when enabled.
pub async fn cron_fire_is_a_compare_and_set(store: SharedStore) {
    let start = now();
    store
        .cron_register(&CronRegisterParams {
            names: vec!["e".to_owned()],
            now: start,
        })
        .await
        .expect("register");
    assert!(
        (store
            .cron_fire(CronFireParams {
                fire: fire("missing", None, secs(start, 5)),
                now: start
            })
            .await)
            .expect("fire")
            .is_none(),
        "an entry without a record enqueues nothing"
    );
    assert!(
        (store
            .cron_fire(CronFireParams {
                fire: fire("e", None, start),
                now: start
            })
            .await)
            .expect("fire")
            .is_none(),
        "a tick at `since` is not due"
    );

    let first = secs(start, 5);
    let at = secs(start, 6);
    let task = (store
        .cron_fire(CronFireParams {
            fire: fire("e", None, first),
            now: at,
        })
        .await)
        .expect("fire")
        .expect("the first tick is enqueued");
    assert_eq!(task.status, TaskStatus::Queued);
    assert_eq!(get(&*store, &task.id).await.created_at, at);
    assert_eq!(history(&*store, &task.id).await, [(EventKind::Enqueued, 0)]);
    let after = record(&*store, "e").await;
    assert_eq!(after.last_tick, Some(first));
    assert_eq!(after.last_task_id.as_deref(), Some(task.id.as_str()));
    assert_eq!(after.last_enqueued_at, Some(at));

    for stale in [None, Some(start)] {
        let again = store
            .cron_fire(CronFireParams {
                fire: fire("e", stale, first),
                now: at,
            })
            .await;
        assert!(
            again.expect("fire").is_none(),
            "a stale read enqueues nothing"
        );
    }
    let second = secs(start, 10);
    store
        .cron_set_enabled(&CronSetEnabledParams::new("e", false, second))
        .await
        .expect("disable");
    let disabled = store
        .cron_fire(CronFireParams {
            fire: fire("e", Some(first), second),
            now: second,
        })
        .await;
    assert!(
        disabled.expect("fire").is_none(),
        "a disabled entry enqueues nothing"
    );
    assert_eq!(all_tasks(&*store).await.len(), 1);
    assert_eq!(record(&*store, "e").await.last_tick, Some(first));
    assert_counters_match(&*store, "after cron ticks").await;
}

/// Of many callers racing for one tick, exactly one enqueues it.
pub async fn concurrent_fires_of_one_tick_enqueue_one(store: SharedStore) {
    let start = now();
    store
        .cron_register(&CronRegisterParams {
            names: vec!["race".to_owned()],
            now: start,
        })
        .await
        .expect("register");
    for round in 1..=3 {
        let previous = (round > 1).then(|| secs(start, round - 1));
        let tick = secs(start, round);
        let mut racers = JoinSet::new();
        for _ in 0..12 {
            let store = store.clone();
            racers.spawn(async move {
                store
                    .cron_fire(CronFireParams {
                        fire: fire("race", previous, tick),
                        now: tick,
                    })
                    .await
            });
        }
        let mut won = 0;
        while let Some(joined) = racers.join_next().await {
            won += usize::from(joined.expect("racer ran").expect("fire").is_some());
        }
        assert_eq!(
            won, 1,
            "round {round}: exactly one caller enqueues the tick"
        );
    }
    assert_eq!(all_tasks(&*store).await.len(), 3);
}
