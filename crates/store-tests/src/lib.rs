//! The storage conformance suite: one set of cases that every [`Store`] backend
//! must pass, so the memory, SQLite and PostgreSQL stores behave alike.
//!
//! Layout:
//! - [`fixtures`]: helpers that build tasks, claims and finishes for the cases.
//! - [`insert`]: inserting tasks, batches and `unique_key` deduplication.
//! - [`claim`]: leasing ready tasks and `task_next_run_at`.
//! - [`finish`]: guarded transitions out of `INPROGRESS`.
//! - [`lease`]: heartbeats and expired leases.
//! - [`limits`]: queue and per-key concurrency limits kept by every claim.
//! - [`manage`]: manual retry, delete and clear.
//! - [`inspect`]: reads: get, get many, list, history, counts, queues, ping.
//! - [`payload`]: JSON payloads and results kept byte for byte.
//! - [`page`]: keyset pages, their filters, cursor and limit.
//! - [`search`]: the search filter over ids and payloads.
//! - [`counters`]: count rows kept equal to a recount through every change.
//! - [`bulk`]: retrying and deleting many tasks, by ids and by filter.
//! - [`prune`]: retention removing old finished tasks, and nothing else.
//! - [`cron`]: cron records, and each tick enqueued once.
//! - [`workers`]: lease holders, running tasks, and worker records.
//! - [`backlog`]: due, scheduled and retrying tasks per queue; resumed queues.
//! - [`eventually`]: the tests' one way to wait for a condition, with a deadline.
//!
//! A backend runs the whole suite with [`conformance_suite!`], which makes one
//! `#[tokio::test]` per case, each on a fresh store.

pub mod backlog;
pub mod bulk;
pub mod claim;
pub mod counters;
pub mod cron;
pub mod eventually;
pub mod fairness;
pub mod finish;
pub mod fixtures;
pub mod insert;
pub mod inspect;
pub mod lease;
pub mod limits;
pub mod manage;
pub mod page;
pub mod payload;
pub mod prune;
pub mod search;
pub mod workers;

use std::sync::Arc;

pub use eventually::eventually;
pub use rustqueue_core::store::Store;

/// What a backend's factory makes for one case: a fresh store, plus anything
/// that must live as long as the case (a temporary directory, a schema guard).
pub trait Fixture: Send {
    /// The store under test.
    fn store(&self) -> Arc<dyn Store>;
}

impl Fixture for Arc<dyn Store> {
    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(self)
    }
}

impl<S: Store + 'static> Fixture for Arc<S> {
    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(self) as Arc<dyn Store>
    }
}

/// A store with a guard that is dropped after the store (fields drop in order).
impl<F: Fixture, G: Send> Fixture for (F, G) {
    fn store(&self) -> Arc<dyn Store> {
        self.0.store()
    }
}

/// The store as the engine sees it: behind the facade, which answers the
/// calls that have nothing to do, so the suite checks backend and facade together.
pub fn through_the_facade(store: Arc<dyn Store>) -> Arc<dyn Store> {
    Arc::new(rustqueue_core::store::StoreFacade::new(store))
}

/// Expands to one `#[tokio::test]` per conformance case.
///
/// The argument is an expression evaluating to a future whose output is a
/// [`Fixture`]; it is evaluated afresh in every test, so each case gets its own
/// store. The calling crate needs `tokio` (with `macros` and `rt-multi-thread`)
/// among its dev-dependencies.
///
/// ```ignore
/// rustqueue_store_tests::conformance_suite!(async { Arc::new(MemoryStore::new()) });
/// rustqueue_store_tests::conformance_suite!(fresh_sqlite_store()); // (store, TempDir)
/// ```
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr $(,)?) => {
        $crate::conformance_suite!(@cases $factory;
            insert::insert_returns_tasks_in_input_order,
            insert::insert_keeps_the_traceparent_for_claims,
            insert::insert_records_enqueued_event,
            insert::insert_writes_each_note_into_its_enqueued_event,
            insert::insert_empty_batch,
            insert::insert_batch_is_all_or_nothing,
            insert::insert_batch_with_repeated_id_is_refused,
            insert::insert_result_matches_later_reads,
            insert::unique_key_dedupes_against_queued,
            insert::unique_key_held_while_in_progress,
            insert::unique_key_released_by_terminal_states,
            insert::unique_key_released_by_delete,
            insert::unique_key_dedupes_within_one_batch,
            insert::concurrent_inserts_of_one_key_create_one,
            claim::claim_orders_by_priority_then_run_at_then_id,
            claim::claim_orders_across_queues_and_levels,
            claim::claim_skips_future_run_at,
            claim::claim_filters_by_type,
            claim::claim_skips_paused_queue_until_resumed,
            claim::claim_respects_limit,
            claim::claim_starts_attempt_and_writes_lease,
            claim::claim_with_nothing_ready_returns_nothing,
            claim::concurrent_claims_are_disjoint,
            claim::next_run_at_is_earliest_ready_candidate,
            limits::concurrency_key_round_trips,
            limits::limits_are_stored_listed_and_removed,
            limits::queue_concurrency_caps_running_tasks,
            limits::per_key_limit_caps_each_key,
            limits::key_limits_override_the_per_key_limit,
            limits::a_saturated_key_never_blocks_another,
            limits::concurrent_claims_keep_the_limits,
            limits::a_lapsed_lease_counts_until_the_task_leaves_inprogress,
            limits::changed_limits_apply_to_the_next_claim,
            limits::key_usage_lists_the_busiest_keys,
            fairness::round_robin_takes_turns_in_one_claim,
            fairness::round_robin_takes_turns_across_claims,
            fairness::round_robin_keeps_priority_and_limits,
            fairness::round_robin_merges_with_other_queues,
            fairness::removing_fairness_restores_claim_order,
            finish::finish_completed_sets_result_and_finished_at,
            finish::finish_retry_requeues_with_run_at_and_error,
            finish::finish_failed_sets_error_and_finished_at,
            finish::finish_released_gives_the_attempt_back,
            finish::finish_released_later_waits_for_its_run_at,
            finish::finish_with_wrong_token_is_not_applied,
            finish::finish_twice_is_not_applied,
            finish::finish_expired_by_guard,
            finish::finish_expired_by_loses_to_heartbeat,
            finish::finish_many_reports_each_in_input_order,
            finish::finish_deleted_task_is_not_applied,
            lease::heartbeat_renews_held_leases_and_reports_lost,
            lease::list_expired_returns_lapsed_leases,
            manage::retry_missing_is_not_found,
            manage::retry_unfailed_is_conflict,
            manage::retry_requeues_failed_task,
            manage::retry_conflicts_when_unique_key_is_held,
            manage::delete_returns_task_and_removes_history,
            manage::delete_missing_returns_none,
            manage::clear_removes_every_task_and_event,
            inspect::ping_answers,
            inspect::get_missing_returns_none,
            inspect::get_many_keeps_the_order_asked_and_skips_unknown_ids,
            inspect::list_filters_by_status_and_limit,
            inspect::events_of_missing_task_not_found,
            inspect::history_records_whole_life,
            inspect::counts_include_every_status,
            inspect::queues_pause_resume_and_list,
            payload::payload_round_trips_verbatim,
            payload::result_round_trips_verbatim,
            page::page_walks_every_task_in_both_orders,
            page::page_filters_by_each_field_alone,
            page::page_filters_combined,
            page::page_cursor_need_not_be_in_the_set,
            page::page_respects_limit,
            search::search_matches_id_or_payload_ignoring_ascii_case,
            search::search_never_matches_other_fields,
            search::search_folds_only_ascii_case,
            search::search_takes_text_literally,
            search::search_forgets_deleted_tasks,
            counters::count_rows_follow_every_change,
            counters::count_rows_survive_concurrent_writes,
            bulk::retry_many_by_ids_retries_only_failed_tasks,
            bulk::retry_many_skips_held_unique_keys,
            bulk::retry_many_by_filter_selects_failed_matches,
            bulk::delete_many_by_ids_reports_count_and_running,
            bulk::delete_many_by_filter_removes_every_match,
            prune::prune_removes_only_old_finished_tasks_of_the_status,
            prune::prune_takes_bounded_batches_oldest_first,
            cron::cron_records_register_list_and_enable,
            cron::cron_fire_is_a_compare_and_set,
            cron::concurrent_fires_of_one_tick_enqueue_one,
            workers::claim_records_the_holder_until_the_task_leaves_inprogress,
            workers::list_running_walks_running_tasks_with_their_holders,
            workers::worker_records_upsert_list_and_prune,
            backlog::backlog_splits_due_scheduled_and_retrying,
            backlog::backlog_counts_every_priority_level,
            backlog::resuming_a_queue_removes_its_record,
        );
    };
    (@cases $factory:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let fixture = $factory.await;
                let store = $crate::through_the_facade($crate::Fixture::store(&fixture));
                $crate::$module::$case(store).await;
                drop(fixture);
            }
        )*
    };
}
