//! The facade's own work, against a store that counts its calls and is
//! unavailable for as many calls as asked.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{TimeZone, Utc};

use super::*;
use crate::store::LeaseToken;
use crate::task::NewTask;

#[derive(Debug, Default)]
struct Flaky {
    calls: AtomicU32,
    failures: AtomicU32,
    expires_at: Mutex<Option<Timestamp>>,
}

impl Flaky {
    fn failing(times: u32) -> Arc<Self> {
        let flaky = Arc::new(Self::default());
        flaky.failures.store(times, Ordering::SeqCst);
        flaky
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    fn answer<T>(&self, ok: T) -> StoreResult<T> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match failing {
            Ok(_) => Err(StoreError::unavailable("flaky store")),
            Err(_) => Ok(ok),
        }
    }
}

#[async_trait]
impl Store for Flaky {
    fn cluster(&self) -> Option<&dyn Cluster> {
        None
    }
    async fn cron_fire(&self, _: CronFireParams) -> StoreResult<Option<Task>> {
        self.answer(None)
    }
    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>> {
        self.answer(Vec::new())
    }
    async fn cron_register(&self, _: &CronRegisterParams) -> StoreResult<()> {
        self.answer(())
    }
    async fn cron_set_enabled(&self, _: &CronSetEnabledParams) -> StoreResult<CronRecord> {
        self.answer(())?;
        Err(StoreError::NotFound)
    }
    fn is_exclusive(&self) -> bool {
        true
    }
    async fn ping(&self) -> StoreResult<()> {
        self.answer(())
    }
    async fn queue_backlog(&self, _: &QueueBacklogParams) -> StoreResult<Vec<QueueBacklog>> {
        self.answer(Vec::new())
    }
    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        self.answer(Vec::new())
    }
    async fn queue_key_usage(&self, _: &QueueKeyUsageParams) -> StoreResult<Vec<KeyUsage>> {
        self.answer(Vec::new())
    }
    async fn queue_set_limits(&self, _: &QueueSetLimitsParams) -> StoreResult<()> {
        self.answer(())
    }
    async fn queue_set_paused(&self, _: &QueueSetPausedParams) -> StoreResult<()> {
        self.answer(())
    }
    async fn task_claim(&self, _: &TaskClaimParams) -> StoreResult<Vec<Lease>> {
        self.answer(Vec::new())
    }
    async fn task_clear(&self) -> StoreResult<u64> {
        self.answer(0)
    }
    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>> {
        self.answer(Vec::new())
    }
    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>> {
        self.answer(BTreeMap::new())
    }
    async fn task_delete(&self, _: &TaskDeleteParams) -> StoreResult<Option<Task>> {
        self.answer(None)
    }
    async fn task_delete_many(&self, _: &TaskDeleteManyParams) -> StoreResult<BulkDeleted> {
        self.answer(BulkDeleted::default())
    }
    async fn task_events(&self, _: &TaskEventsParams) -> StoreResult<Vec<TaskEvent>> {
        self.answer(Vec::new())
    }
    async fn task_finish_many(&self, params: TaskFinishManyParams) -> StoreResult<Vec<bool>> {
        self.answer(vec![true; params.finishes.len()])
    }
    async fn task_get(&self, _: &TaskGetParams) -> StoreResult<Option<Task>> {
        self.answer(None)
    }
    async fn task_get_many(&self, _: &TaskGetManyParams) -> StoreResult<Vec<Task>> {
        self.answer(Vec::new())
    }
    async fn task_heartbeat(&self, params: &TaskHeartbeatParams) -> StoreResult<Vec<String>> {
        *self.expires_at.lock().expect("not poisoned") = Some(params.expires_at);
        self.answer(Vec::new())
    }
    async fn task_insert_many(&self, _: TaskInsertManyParams) -> StoreResult<Vec<Inserted>> {
        self.answer(Vec::new())
    }
    async fn task_list(&self, _: &TaskListParams) -> StoreResult<Vec<Task>> {
        self.answer(Vec::new())
    }
    async fn task_list_expired(&self, _: &TaskListExpiredParams) -> StoreResult<Vec<Lease>> {
        self.answer(Vec::new())
    }
    async fn task_list_running(&self, _: &TaskListRunningParams) -> StoreResult<Vec<Lease>> {
        self.answer(Vec::new())
    }
    async fn task_next_run_at(&self, _: &TaskNextRunAtParams) -> StoreResult<Option<Timestamp>> {
        self.answer(None)
    }
    async fn task_page(&self, _: &TaskPageParams) -> StoreResult<Vec<Task>> {
        self.answer(Vec::new())
    }
    async fn task_prune(&self, _: &TaskPruneParams) -> StoreResult<u64> {
        self.answer(0)
    }
    async fn task_retry(&self, _: &TaskRetryParams) -> StoreResult<Task> {
        self.answer(())?;
        Err(StoreError::NotFound)
    }
    async fn task_retry_many(&self, _: &TaskRetryManyParams) -> StoreResult<Vec<String>> {
        self.answer(Vec::new())
    }
    async fn worker_list(&self, _: &WorkerListParams) -> StoreResult<Vec<WorkerRecord>> {
        self.answer(Vec::new())
    }
    async fn worker_prune(&self, _: &WorkerPruneParams) -> StoreResult<u64> {
        self.answer(0)
    }
    async fn worker_record(&self, _: &WorkerRecord) -> StoreResult<()> {
        self.answer(())
    }
}

fn facade(flaky: &Arc<Flaky>) -> StoreFacade {
    StoreFacade::new(Arc::clone(flaky) as Arc<dyn Store>)
}

fn at() -> Timestamp {
    Utc.timestamp_opt(1_700_000_000, 123_456_789)
        .single()
        .expect("a time")
}

fn heartbeat() -> TaskHeartbeatParams {
    TaskHeartbeatParams {
        leases: vec![("t-1".to_owned(), LeaseToken(7))],
        expires_at: at(),
    }
}

fn new_task() -> NewTask {
    NewTask {
        id: "t-1".to_owned(),
        task_type: "echo".to_owned(),
        payload: serde_json::value::RawValue::from_string("{}".to_owned()).expect("json"),
        queue: "default".to_owned(),
        priority: 0,
        max_retries: 0,
        run_at: at(),
        unique_key: None,
        timeout_ms: None,
        concurrency_key: None,
        traceparent: None,
        note: None,
    }
}

#[tokio::test]
async fn calls_with_nothing_to_do_never_reach_the_store() {
    let flaky = Flaky::failing(0);
    let store = facade(&flaky);
    let none = || Selection::Ids(Vec::new());
    let inserted = store.task_insert_many(TaskInsertManyParams {
        tasks: Vec::new(),
        now: at(),
    });
    assert!(inserted.await.expect("answered").is_empty());
    let finished = store.task_finish_many(TaskFinishManyParams {
        finishes: Vec::new(),
        now: at(),
    });
    assert!(finished.await.expect("answered").is_empty());
    let renewed = TaskHeartbeatParams {
        leases: Vec::new(),
        expires_at: at(),
    };
    assert!(
        store
            .task_heartbeat(&renewed)
            .await
            .expect("answered")
            .is_empty()
    );
    let retried = TaskRetryManyParams {
        selection: none(),
        now: at(),
    };
    assert!(
        store
            .task_retry_many(&retried)
            .await
            .expect("answered")
            .is_empty()
    );
    let deleted = TaskDeleteManyParams { selection: none() };
    assert_eq!(
        store
            .task_delete_many(&deleted)
            .await
            .expect("answered")
            .count,
        0
    );
    let read = TaskGetManyParams { ids: Vec::new() };
    assert!(
        store
            .task_get_many(&read)
            .await
            .expect("answered")
            .is_empty()
    );
    assert_eq!(flaky.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_safe_write_is_tried_again_while_unavailable() {
    let flaky = Flaky::failing(2);
    let store = facade(&flaky);
    store.task_heartbeat(&heartbeat()).await.expect("third try");
    assert_eq!(flaky.calls(), 3);
    let stored = flaky
        .expires_at
        .lock()
        .expect("not poisoned")
        .expect("renewed");
    assert_eq!(
        stored.timestamp_subsec_nanos(),
        123_456_000,
        "to the microsecond"
    );
    let timings = store.timings().snapshot();
    assert_eq!(timings.len(), 1);
    assert_eq!((timings[0].op, timings[0].count), ("task_heartbeat", 1));
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded() {
    let flaky = Flaky::failing(10);
    let store = facade(&flaky);
    let renewed = store.task_heartbeat(&heartbeat()).await;
    assert!(matches!(renewed, Err(StoreError::Unavailable(_))));
    assert_eq!(flaky.calls(), TRIES);
}

#[tokio::test(start_paused = true)]
async fn a_claim_or_an_insert_is_tried_once() {
    let flaky = Flaky::failing(10);
    let store = facade(&flaky);
    let inserted = store.task_insert_many(TaskInsertManyParams {
        tasks: vec![new_task()],
        now: at(),
    });
    assert!(matches!(inserted.await, Err(StoreError::Unavailable(_))));
    assert_eq!(flaky.calls(), 1);
    let claim = TaskClaimParams {
        types: vec!["echo".to_owned()],
        limit: 1,
        now: at(),
        lease_expires_at: at(),
        lease_token: LeaseToken(1),
        holder: "node".to_owned(),
    };
    let claimed = store.task_claim(&claim).await;
    assert!(matches!(claimed, Err(StoreError::Unavailable(_))));
    assert_eq!(flaky.calls(), 2);
}
