//! The kinds of store call, named as the trait's methods are, for spans and metrics.

/// One method of the storage trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Op {
    CronFire,
    CronList,
    CronRegister,
    CronSetEnabled,
    Ping,
    QueueBacklog,
    QueueList,
    QueueSetPaused,
    TaskClaim,
    TaskClear,
    TaskCountRows,
    TaskCounts,
    TaskDelete,
    TaskDeleteMany,
    TaskEvents,
    TaskFinishMany,
    TaskGet,
    TaskGetMany,
    TaskHeartbeat,
    TaskInsertMany,
    TaskList,
    TaskListExpired,
    TaskListRunning,
    TaskNextRunAt,
    TaskPage,
    TaskPrune,
    TaskRetry,
    TaskRetryMany,
    WorkerList,
    WorkerPrune,
    WorkerRecord,
}

impl Op {
    /// Every kind, in the trait's (alphabetical) order.
    pub(crate) const ALL: [Op; 31] = [
        Op::CronFire,
        Op::CronList,
        Op::CronRegister,
        Op::CronSetEnabled,
        Op::Ping,
        Op::QueueBacklog,
        Op::QueueList,
        Op::QueueSetPaused,
        Op::TaskClaim,
        Op::TaskClear,
        Op::TaskCountRows,
        Op::TaskCounts,
        Op::TaskDelete,
        Op::TaskDeleteMany,
        Op::TaskEvents,
        Op::TaskFinishMany,
        Op::TaskGet,
        Op::TaskGetMany,
        Op::TaskHeartbeat,
        Op::TaskInsertMany,
        Op::TaskList,
        Op::TaskListExpired,
        Op::TaskListRunning,
        Op::TaskNextRunAt,
        Op::TaskPage,
        Op::TaskPrune,
        Op::TaskRetry,
        Op::TaskRetryMany,
        Op::WorkerList,
        Op::WorkerPrune,
        Op::WorkerRecord,
    ];

    /// The trait method's name (the `op` label of the metrics).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::CronFire => "cron_fire",
            Op::CronList => "cron_list",
            Op::CronRegister => "cron_register",
            Op::CronSetEnabled => "cron_set_enabled",
            Op::Ping => "ping",
            Op::QueueBacklog => "queue_backlog",
            Op::QueueList => "queue_list",
            Op::QueueSetPaused => "queue_set_paused",
            Op::TaskClaim => "task_claim",
            Op::TaskClear => "task_clear",
            Op::TaskCountRows => "task_count_rows",
            Op::TaskCounts => "task_counts",
            Op::TaskDelete => "task_delete",
            Op::TaskDeleteMany => "task_delete_many",
            Op::TaskEvents => "task_events",
            Op::TaskFinishMany => "task_finish_many",
            Op::TaskGet => "task_get",
            Op::TaskGetMany => "task_get_many",
            Op::TaskHeartbeat => "task_heartbeat",
            Op::TaskInsertMany => "task_insert_many",
            Op::TaskList => "task_list",
            Op::TaskListExpired => "task_list_expired",
            Op::TaskListRunning => "task_list_running",
            Op::TaskNextRunAt => "task_next_run_at",
            Op::TaskPage => "task_page",
            Op::TaskPrune => "task_prune",
            Op::TaskRetry => "task_retry",
            Op::TaskRetryMany => "task_retry_many",
            Op::WorkerList => "worker_list",
            Op::WorkerPrune => "worker_prune",
            Op::WorkerRecord => "worker_record",
        }
    }

    /// The position of this kind in [`Op::ALL`].
    pub(super) fn index(self) -> usize {
        self as usize
    }
}
