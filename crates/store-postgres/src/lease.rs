//! The lease life cycle: claiming ready tasks, renewing leases, and the guarded
//! transitions out of `INPROGRESS`. These are the hot path: each call is one
//! statement, one round trip, whatever the batch size.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use rustqueue_core::store::{Finish, Lease, LeaseToken, Outcome, TaskClaimParams};
use rustqueue_core::task::Timestamp;

use crate::connection::Db;
use crate::counters::count_changes;
use crate::errors::Fault;
use crate::rows::{self, limit_column, storable, task_columns};

/// Leases the first ready tasks in claim order to a holder, with a `started`
/// event each, through `claim_tasks` (see `sql/functions/claim_tasks.sql`):
/// it picks each unpaused queue's due rows per priority level `FOR UPDATE
/// SKIP LOCKED`, so that concurrent claims from any node skip each other's
/// rows instead of waiting on them, merges them into claim order, then
/// updates them and appends the events, all in one statement.
/// Rows come back in the order `claim_tasks` returns them (`ORDINALITY`).
static CLAIM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM claim_tasks($1, $2, $3, $4::text[], $5, $6) WITH ORDINALITY c \
         ORDER BY c.ordinality",
        task_columns!("c")
    )
});

/// Leases up to `limit` ready tasks, returned in claim order.
pub(crate) async fn claim(db: &Db, params: &TaskClaimParams) -> Result<Vec<Lease>, Fault> {
    let client = db.client().await?;
    let claim = client.prepare_cached(&CLAIM).await?;
    let rows = client
        .query(
            &claim,
            &[
                &params.now,
                &params.lease_token.0,
                &params.lease_expires_at,
                &params.types,
                &limit_column(params.limit),
                &params.holder,
            ],
        )
        .await?;
    rows.iter().map(rows::lease).collect()
}

/// Applies every finish whose guard holds, with its event, in one statement.
///
/// The guard (still running under this lease, and for the reaper not renewed
/// past `expired_by`) sits in the UPDATE's WHERE, so it is checked again on
/// the row's latest version if a concurrent transaction changed it. It names
/// the token, not the status: the `lease_while_running` constraint makes a
/// lease exist exactly while the task runs, and a literal status would let
/// the planner walk the partial index of running tasks, whose statistics lag
/// far behind a queue's churn, instead of probing the primary key (`t.id =
/// ANY($3)`). Several finishes of one task behave as if applied in input
/// order: the first whose guard holds wins (`chosen`), and the others find
/// the task finished.
const FINISH: &str = concat!(
    "WITH input AS (",
    " SELECT * FROM unnest($2::int[], $3::text[], $4::bigint[], $5::timestamptz[], $6::text[],",
    " $7::bool[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::bool[], $12::text[],",
    " $13::text[], $14::text[], $15::bool[])",
    " AS i(ord, id, token, expired_by, status, give_back, run_at, finished_at, error,",
    " set_result, result, kind, message, repeated)), ",
    "chosen AS (",
    " SELECT * FROM input WHERE NOT repeated",
    " UNION ALL (",
    " SELECT DISTINCT ON (i.id) i.* FROM input i JOIN tasks t ON t.id = i.id",
    " WHERE t.id = ANY($3::text[]) AND i.repeated AND t.lease_token = i.token",
    " AND (i.expired_by IS NULL OR t.lease_expires_at <= i.expired_by)",
    " ORDER BY i.id, i.ord)), ",
    "done AS (",
    " UPDATE tasks t SET status = c.status,",
    " attempts = CASE WHEN c.give_back THEN greatest(t.attempts - 1, 0) ELSE t.attempts END,",
    " run_at = coalesce(c.run_at, t.run_at), finished_at = c.finished_at,",
    " last_error = coalesce(c.error, t.last_error),",
    " result = CASE WHEN c.set_result THEN c.result ELSE t.result END,",
    " updated_at = $1, lease_token = NULL, lease_expires_at = NULL, leased_by = NULL",
    " FROM chosen c",
    " WHERE t.id = ANY($3::text[]) AND t.id = c.id AND t.lease_token = c.token",
    " AND (c.expired_by IS NULL OR t.lease_expires_at <= c.expired_by)",
    " RETURNING c.ord, t.id, t.attempts, t.status, t.queue, t.task_type, c.kind, c.message), ",
    "events AS (",
    " INSERT INTO task_events (task_id, at, kind, attempt, message)",
    " SELECT id, $1, kind, attempts, message FROM done), ",
    count_changes!(
        "SELECT queue, task_type, 'INPROGRESS' AS status, -1 AS delta FROM done \
         UNION ALL SELECT queue, task_type, status, 1 FROM done"
    ),
    ", wake AS (",
    // A requeue brings work back; a finish in a limited queue frees room
    // other nodes' claims may be holding back for.
    " SELECT pg_notify($16, '') FROM (SELECT 1 FROM done WHERE status = 'QUEUED'",
    " OR queue IN (SELECT name FROM queues WHERE limits IS NOT NULL) LIMIT 1) AS woken) ",
    "SELECT ARRAY(SELECT ord FROM done), (SELECT count(*) FROM wake)"
);

/// The statement parameters of a batch of finishes, one array per column.
#[derive(Default)]
struct FinishColumns<'a> {
    ord: Vec<i32>,
    id: Vec<&'a str>,
    token: Vec<i64>,
    expired_by: Vec<Option<Timestamp>>,
    status: Vec<&'static str>,
    give_back: Vec<bool>,
    run_at: Vec<Option<Timestamp>>,
    finished_at: Vec<Option<Timestamp>>,
    error: Vec<Option<Cow<'a, str>>>,
    set_result: Vec<bool>,
    result: Vec<Option<&'a str>>,
    kind: Vec<&'static str>,
    message: Vec<Option<Cow<'a, str>>>,
    repeated: Vec<bool>,
}

impl<'a> FinishColumns<'a> {
    fn new(finishes: &'a [Finish], now: Timestamp) -> Result<Self, Fault> {
        let mut seen = HashSet::with_capacity(finishes.len());
        let repeated: HashSet<&str> = finishes
            .iter()
            .filter(|f| !seen.insert(f.task_id.as_str()))
            .map(|f| f.task_id.as_str())
            .collect();
        // Rows are locked in the order of the arrays when the planner walks
        // them in a nested loop, so every batch takes its locks in id order:
        // two batches that share tasks (a completion and a rescue on another
        // node) then wait for each other instead of deadlocking. `ord` keeps
        // each finish's place in the input.
        let mut by_id: Vec<(usize, &Finish)> = finishes.iter().enumerate().collect();
        by_id.sort_by(|(a_ord, a), (b_ord, b)| (&a.task_id, a_ord).cmp(&(&b.task_id, b_ord)));
        let mut columns = Self::default();
        for (ord, finish) in by_id {
            columns.push(ord, finish, now, repeated.contains(finish.task_id.as_str()))?;
        }
        Ok(columns)
    }

    fn push(
        &mut self,
        ord: usize,
        finish: &'a Finish,
        now: Timestamp,
        repeated: bool,
    ) -> Result<(), Fault> {
        let ord = i32::try_from(ord).map_err(|_| {
            rustqueue_core::store::StoreError::other("too many finishes in one batch".to_owned())
        })?;
        let (status, run_at, finished_at, error) = match &finish.outcome {
            Outcome::Completed { .. } => ("COMPLETED", None, Some(now), None),
            Outcome::Retry { run_at, error } => ("QUEUED", Some(*run_at), None, Some(error)),
            Outcome::Failed { error } => ("FAILED", None, Some(now), Some(error)),
            Outcome::Released { run_at } => ("QUEUED", Some(*run_at), None, None),
        };
        let result = match &finish.outcome {
            Outcome::Completed { result } => result.as_deref().map(|r| r.get()),
            _ => None,
        };
        self.ord.push(ord);
        self.id.push(&finish.task_id);
        self.token.push(finish.token.0);
        self.expired_by.push(finish.expired_by);
        self.status.push(status);
        self.give_back
            .push(matches!(finish.outcome, Outcome::Released { .. }));
        self.run_at.push(run_at);
        self.finished_at.push(finished_at);
        self.error.push(error.map(|e| storable(e)));
        self.set_result
            .push(matches!(finish.outcome, Outcome::Completed { .. }));
        self.result.push(result);
        self.kind.push(finish.event.as_str());
        self.message.push(finish.message.as_deref().map(storable));
        self.repeated.push(repeated);
        Ok(())
    }
}

/// Applies each finish whose guard holds and says which were applied, in input order.
pub(crate) async fn finish_many(
    db: &Db,
    finishes: &[Finish],
    now: Timestamp,
) -> Result<Vec<bool>, Fault> {
    let c = FinishColumns::new(finishes, now)?;
    let client = db.client().await?;
    let finish = client.prepare_cached(FINISH).await?;
    let row = client
        .query_one(
            &finish,
            &[
                &now,
                &c.ord,
                &c.id,
                &c.token,
                &c.expired_by,
                &c.status,
                &c.give_back,
                &c.run_at,
                &c.finished_at,
                &c.error,
                &c.set_result,
                &c.result,
                &c.kind,
                &c.message,
                &c.repeated,
                &db.channel,
            ],
        )
        .await?;
    let done: Vec<i32> = row.try_get(0)?;
    let mut applied = vec![false; finishes.len()];
    for ord in done {
        if let Some(slot) = usize::try_from(ord).ok().and_then(|i| applied.get_mut(i)) {
            *slot = true;
        }
    }
    Ok(applied)
}

/// Renews the leases still held; `updated_at` is left alone. The guard names
/// the token only, for the reason [`FINISH`] gives.
const HEARTBEAT: &str = "UPDATE tasks t SET lease_expires_at = $3 \
     FROM unnest($1::text[], $2::bigint[]) AS b(id, token) \
     WHERE t.id = ANY($1::text[]) AND t.id = b.id AND t.lease_token = b.token \
     RETURNING t.id, t.lease_token";

/// Renews the leases still held until `expires_at`; returns the ids of those lost.
pub(crate) async fn heartbeat(
    db: &Db,
    leases: &[(String, LeaseToken)],
    expires_at: Timestamp,
) -> Result<Vec<String>, Fault> {
    let ids: Vec<&str> = leases.iter().map(|(id, _)| id.as_str()).collect();
    let tokens: Vec<i64> = leases.iter().map(|(_, token)| token.0).collect();
    let client = db.client().await?;
    let renew = client.prepare_cached(HEARTBEAT).await?;
    let rows = client.query(&renew, &[&ids, &tokens, &expires_at]).await?;
    let renewed = rows
        .iter()
        .map(|row| Ok((row.try_get::<_, String>(0)?, row.try_get::<_, i64>(1)?)))
        .collect::<Result<HashSet<_>, tokio_postgres::Error>>()?;
    Ok(leases
        .iter()
        .filter(|(id, token)| !renewed.contains(&(id.clone(), token.0)))
        .map(|(id, _)| id.clone())
        .collect())
}
