//! Creation-time bounds as id bounds. Ids are UUIDv7, whose first 48 bits are
//! a millisecond time, so a range of `created_at` is nearly a range of ids.
//! "Nearly": the id is made by the caller's system clock, `created_at` by the
//! store's injectable one. `task_id_clock` keeps how far apart the two have
//! been for every task stored, and each bound is widened by that much, so a
//! time filter walks a range of the primary key and still never misses a task.
//! `created_at` stays the truth: it is checked on every row of the range.

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::task::Timestamp;

use crate::rows::micros;

/// The largest time a UUIDv7 can hold, in milliseconds.
const MAX_MILLIS: i64 = (1 << 48) - 1;

/// The millisecond time in a lowercase UUIDv7 id, or `None` for any other id.
pub(crate) fn id_millis(id: &str) -> Option<i64> {
    let b = id.as_bytes();
    let dashes = [8, 13, 18, 23].iter().all(|&i| b.get(i) == Some(&b'-'));
    if b.len() != 36 || !dashes || b[14] != b'7' {
        return None;
    }
    b[..8].iter().chain(&b[9..13]).try_fold(0_i64, |acc, c| {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        Some(acc << 4 | i64::from(digit))
    })
}

/// A time in whole milliseconds, rounded down.
fn millis(at: Timestamp) -> i64 {
    micros(at).div_euclid(1000)
}

/// The 13-character id prefix (`xxxxxxxx-xxxx`) of a millisecond time.
fn prefix(ms: i64) -> String {
    let ms = ms.clamp(0, MAX_MILLIS);
    format!("{:08x}-{:04x}", ms >> 16, ms & 0xffff)
}

/// Widens the recorded skew to cover tasks with these ids created at `now`.
/// One statement per insert command, and no write when nothing widens.
pub(crate) fn record<'a>(
    conn: &Connection,
    ids: impl IntoIterator<Item = &'a str>,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let created = millis(now);
    let (mut least, mut most, mut untimed) = (None::<i64>, None::<i64>, false);
    for id in ids {
        match id_millis(id) {
            Some(ms) => {
                let skew = ms - created;
                least = Some(least.map_or(skew, |l| l.min(skew)));
                most = Some(most.map_or(skew, |m| m.max(skew)));
            }
            None => untimed = true,
        }
    }
    let mut widen = conn.prepare_cached(
        "UPDATE task_id_clock SET \
         min_skew = CASE WHEN ?1 IS NULL THEN min_skew ELSE min(coalesce(min_skew, ?1), ?1) END, \
         max_skew = CASE WHEN ?2 IS NULL THEN max_skew ELSE max(coalesce(max_skew, ?2), ?2) END, \
         untimed = untimed OR ?3 \
         WHERE coalesce(?1 < min_skew, ?1 IS NOT NULL) OR coalesce(?2 > max_skew, ?2 IS NOT NULL) \
         OR (?3 AND NOT untimed)",
    )?;
    widen.execute(params![least, most, untimed])?;
    Ok(())
}

/// Forgets the skew of tasks that are all gone.
pub(crate) fn reset(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE task_id_clock SET min_skew = NULL, max_skew = NULL, untimed = 0")?
        .execute([])?;
    Ok(())
}

/// Id bounds implied by creation-time bounds: every task created in the time
/// range has an id in `[from, until)`. `None` means unbounded.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct IdRange {
    /// The least id a task created at or after the lower time can have.
    pub(crate) from: Option<String>,
    /// Every task created before the upper time has a smaller id.
    pub(crate) until: Option<String>,
}

/// The id range holding every task created in `[after, before)`.
pub(crate) fn range(
    conn: &Connection,
    after: Option<Timestamp>,
    before: Option<Timestamp>,
) -> rusqlite::Result<IdRange> {
    if after.is_none() && before.is_none() {
        return Ok(IdRange::default());
    }
    let skews: Option<(Option<i64>, Option<i64>, bool)> = conn
        .prepare_cached("SELECT min_skew, max_skew, untimed FROM task_id_clock")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((Some(least), Some(most), false)) = skews else {
        // No timed task stored (so nothing to bound), or some id is not timed.
        return Ok(IdRange::default());
    };
    Ok(IdRange {
        // created >= after, so id time >= after + least (times in whole ms).
        from: after
            .map(|at| millis(at).saturating_add(least))
            .filter(|ms| *ms > 0)
            .map(prefix),
        // created < before, so id time <= before + most < before + most + 1.
        until: before
            .map(|at| millis(at).saturating_add(most).saturating_add(1))
            .filter(|ms| *ms <= MAX_MILLIS)
            .map(prefix),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_time_of_v7_ids_only() {
        let id = rustqueue_core::task::new_task_id();
        let ms = id_millis(&id).expect("a v7 id");
        let now = chrono::Utc::now().timestamp_millis();
        assert!((now - ms).abs() < 5_000, "{ms} vs {now}");
        assert_eq!(prefix(ms), id[..13]);
        assert_eq!(id_millis(&id.to_uppercase()), None);
        assert_eq!(id_millis("my-task"), None);
        let v4 = "0190f5a2-1234-4abc-8def-0123456789ab";
        assert_eq!(id_millis(v4), None);
        let v7 = "0190f5a2-1234-7abc-8def-0123456789ab";
        assert_eq!(id_millis(v7), Some(0x0190_f5a2_1234));
    }

    #[test]
    fn prefixes_sort_like_times() {
        assert_eq!(prefix(0x0190_f5a2_1234), "0190f5a2-1234");
        assert_eq!(prefix(-5), "00000000-0000");
        assert_eq!(prefix(i64::MAX), "ffffffff-ffff");
        assert!(prefix(0x0190_f5a2_1234) < prefix(0x0190_f5a2_1235));
    }
}
