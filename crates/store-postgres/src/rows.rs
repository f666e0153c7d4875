//! Row mapping: how task fields are stored in columns, and read back.

use std::borrow::Cow;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use rustqueue_core::store::{Lease, LeaseToken, StoreError};
use rustqueue_core::task::{NewTask, RawJson, Task, TaskStatus, Timestamp};
use serde_json::value::RawValue;
use tokio_postgres::Row;

use crate::errors::Fault;

/// Every column of `tasks` qualified by a table name or alias, in the order
/// [`task`] and [`lease`] read them; a macro so statements are built with
/// `concat!` at compile time.
macro_rules! task_columns {
    ($t:literal) => {
        concat!(
            $t,
            ".id, ",
            $t,
            ".task_type, ",
            $t,
            ".payload, ",
            $t,
            ".queue, ",
            $t,
            ".priority, ",
            $t,
            ".status, ",
            $t,
            ".attempts, ",
            $t,
            ".max_retries, ",
            $t,
            ".created_at, ",
            $t,
            ".updated_at, ",
            $t,
            ".run_at, ",
            $t,
            ".started_at, ",
            $t,
            ".finished_at, ",
            $t,
            ".last_error, ",
            $t,
            ".result, ",
            $t,
            ".unique_key, ",
            $t,
            ".timeout_ms, ",
            $t,
            ".lease_token, ",
            $t,
            ".lease_expires_at, ",
            $t,
            ".traceparent, ",
            $t,
            ".leased_by, ",
            $t,
            ".concurrency_key"
        )
    };
}
pub(crate) use task_columns;

/// How many columns [`task_columns!`] names.
pub(crate) const TASK_COLUMNS: usize = 22;

/// A stored `timeout_ms`.
pub(crate) fn timeout_column(timeout_ms: Option<u64>) -> Option<i64> {
    // Past i64::MAX milliseconds (292 million years) every timeout means "never".
    timeout_ms.map(|ms| i64::try_from(ms).unwrap_or(i64::MAX))
}

/// A count or limit as PostgreSQL wants it.
pub(crate) fn limit_column(limit: usize) -> i64 {
    // More rows than i64::MAX cannot exist, so saturating loses nothing.
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Text as PostgreSQL can store it: TEXT cannot hold NUL, so a handler's error
/// message is kept with each NUL replaced by U+FFFD rather than refused.
pub(crate) fn storable(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A column that did not hold what this store writes there.
fn corrupt(column: &str, detail: impl std::fmt::Display) -> Fault {
    Fault::Store(StoreError::other(format!(
        "unexpected value in column {column}: {detail}"
    )))
}

fn json(text: String, column: &str) -> Result<RawJson, Fault> {
    RawValue::from_string(text).map_err(|err| corrupt(column, err))
}

fn count(value: i64, column: &str) -> Result<u32, Fault> {
    u32::try_from(value).map_err(|err| corrupt(column, err))
}

/// Reads a task from a row whose first columns are [`task_columns!`].
pub(crate) fn task(row: &Row) -> Result<Task, Fault> {
    let status: &str = row.try_get(5)?;
    let status = status
        .parse::<TaskStatus>()
        .map_err(|err| corrupt("status", err))?;
    let timeout_ms: Option<i64> = row.try_get(16)?;
    Ok(Task {
        id: row.try_get(0)?,
        task_type: row.try_get(1)?,
        payload: json(row.try_get(2)?, "payload")?,
        queue: row.try_get(3)?,
        priority: row.try_get(4)?,
        status,
        attempts: count(row.try_get(6)?, "attempts")?,
        max_retries: count(row.try_get(7)?, "max_retries")?,
        created_at: row.try_get(8)?,
        updated_at: row.try_get(9)?,
        run_at: row.try_get(10)?,
        started_at: row.try_get(11)?,
        finished_at: row.try_get(12)?,
        last_error: row.try_get(13)?,
        result: row
            .try_get::<_, Option<String>>(14)?
            .map(|text| json(text, "result"))
            .transpose()?,
        unique_key: row.try_get(15)?,
        // Stored from a u64, so never negative; clamp rather than fail if edited by hand.
        timeout_ms: timeout_ms.map(|ms| u64::try_from(ms).unwrap_or(0)),
        concurrency_key: row.try_get(21)?,
        traceparent: row.try_get(19)?,
        worker: row.try_get(20)?,
    })
}

/// Reads a leased task and its lease from a row whose first columns are [`task_columns!`].
pub(crate) fn lease(row: &Row) -> Result<Lease, Fault> {
    let expires_at: Option<Timestamp> = row.try_get(18)?;
    Ok(Lease {
        task: task(row)?,
        token: LeaseToken(
            row.try_get::<_, Option<i64>>(17)?
                .ok_or_else(|| corrupt("lease_token", "NULL on a leased task"))?,
        ),
        expires_at: expires_at
            .ok_or_else(|| corrupt("lease_expires_at", "NULL on a leased task"))?,
    })
}

/// A time as it reads back. The driver sends microseconds since 2000-01-01,
/// cut toward zero, so times before 2000 round up rather than down.
pub(crate) fn stored(at: Timestamp) -> Timestamp {
    let base = DateTime::<Utc>::from_timestamp(POSTGRES_EPOCH, 0);
    base.and_then(|base| {
        let micros = (at - base).num_microseconds()?;
        base.checked_add_signed(TimeDelta::microseconds(micros))
    })
    // Only times the driver refuses to send fail here; they are never stored.
    .unwrap_or_else(|| at.trunc_subsecs(6))
}

/// 2000-01-01T00:00:00Z in Unix seconds: PostgreSQL's epoch.
const POSTGRES_EPOCH: i64 = 946_684_800;

/// The task a fresh insert stores, built without reading it back (so its
/// times are cut to microseconds, exactly as a later read returns them).
pub(crate) fn inserted_task(new: NewTask, now: Timestamp) -> Task {
    let run_at = stored(new.run_at);
    NewTask { run_at, ..new }.into_queued(stored(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_replaced_and_other_text_borrowed() {
        assert_eq!(storable("bad\0byte\0"), "bad\u{FFFD}byte\u{FFFD}");
        assert!(matches!(storable("fine"), Cow::Borrowed("fine")));
    }

    #[test]
    fn times_are_cut_toward_postgres_epoch() {
        let after = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z").expect("time");
        let before = DateTime::parse_from_rfc3339("1999-12-31T23:59:59.000000500Z").expect("time");
        let (after, before) = (after.to_utc(), before.to_utc());
        assert_eq!(stored(after), after.trunc_subsecs(6));
        assert_eq!(
            stored(before),
            before.trunc_subsecs(6) + TimeDelta::microseconds(1)
        );
    }

    #[test]
    fn huge_timeouts_and_limits_saturate() {
        assert_eq!(timeout_column(Some(u64::MAX)), Some(i64::MAX));
        assert_eq!(timeout_column(Some(7)), Some(7));
        assert_eq!(limit_column(usize::MAX), i64::MAX);
    }
}
