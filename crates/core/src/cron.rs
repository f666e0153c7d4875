//! Cron entries: a schedule (a cron expression in a time zone) and the task
//! each of its ticks enqueues. The engine's `cron` service runs them.

use std::fmt;

use chrono::Utc;
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::enqueue::{EnqueueRequest, MAX_NAME_LEN};
use crate::task::{RawJson, Timestamp};

/// Why a cron entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CronError {
    /// The cron expression does not parse.
    #[error("bad cron expression {expression:?}: {reason}")]
    Expression {
        /// The expression given.
        expression: String,
        /// What the parser said.
        reason: String,
    },
    /// The time zone is not an IANA name.
    #[error("unknown time zone {0:?} (use an IANA name such as UTC or Europe/Paris)")]
    Zone(String),
    /// The entry's name is empty, too long or has control characters.
    #[error("bad cron entry name {0:?} (1 to 255 bytes, no control characters or '/')")]
    Name(String),
}

/// When an entry ticks: a cron expression (5 fields, or 6 with seconds
/// first) read in a time zone, so `0 0 3 * * *` in Europe/Paris follows
/// daylight saving time.
#[derive(Clone)]
pub struct Schedule {
    expression: String,
    zone: Tz,
    cron: Cron,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?} in {})", self.expression, self.zone)
    }
}

impl Schedule {
    /// Parses `expression` in the IANA zone `zone`.
    pub fn parse(expression: &str, zone: &str) -> Result<Self, CronError> {
        let zone: Tz = zone
            .trim()
            .parse()
            .map_err(|_| CronError::Zone(zone.to_owned()))?;
        let expression = expression.trim();
        // No year field: five or six fields only, so a typo adding a field
        // is refused instead of read as a year.
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser
            .parse(expression)
            .map_err(|error| CronError::Expression {
                expression: expression.to_owned(),
                reason: error.to_string(),
            })?;
        Ok(Self {
            expression: expression.to_owned(),
            zone,
            cron,
        })
    }

    /// The cron expression, as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The IANA name of the time zone.
    pub fn zone(&self) -> &str {
        self.zone.name()
    }

    /// The first tick strictly after `after`; `None` if there is none.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let local = after.with_timezone(&self.zone);
        let next = self.cron.find_next_occurrence(&local, false).ok()?;
        Some(next.with_timezone(&Utc))
    }

    /// The last tick at or before `at`; `None` if there is none.
    pub fn latest_at_or_before(&self, at: Timestamp) -> Option<Timestamp> {
        let local = at.with_timezone(&self.zone);
        let previous = self.cron.find_previous_occurrence(&local, true).ok()?;
        Some(previous.with_timezone(&Utc))
    }
}

/// A recurring task: its name, schedule, and the task each tick enqueues.
#[derive(Debug, Clone)]
pub struct CronEntry {
    /// Unique among the entries; the key of its shared record.
    pub name: String,
    /// When it ticks.
    pub schedule: Schedule,
    /// The task type each tick enqueues.
    pub task_type: String,
    /// The payload of each task.
    pub payload: RawJson,
    /// The queue; the default queue when `None`.
    pub queue: Option<String>,
    /// The priority; 0 when `None`.
    pub priority: Option<i32>,
    /// The most attempts per task; the default when `None`.
    pub max_retries: Option<u32>,
    /// After downtime, enqueue every missed tick (true) or skip them (false).
    pub backfill: bool,
}

impl CronEntry {
    /// An entry with default queue, priority and retries, and no backfill.
    pub fn new(
        name: &str,
        schedule: Schedule,
        task_type: &str,
        payload: RawJson,
    ) -> Result<Self, CronError> {
        let bad = name.is_empty()
            || name.len() > MAX_NAME_LEN
            || name.chars().any(|c| c.is_control() || c == '/');
        if bad {
            return Err(CronError::Name(name.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            schedule,
            task_type: task_type.to_owned(),
            payload,
            queue: None,
            priority: None,
            max_retries: None,
            backfill: false,
        })
    }

    /// The enqueue request one tick makes.
    pub fn request(&self) -> EnqueueRequest {
        let mut request = EnqueueRequest::new(self.task_type.clone(), self.payload.clone());
        request.queue = self.queue.clone();
        request.priority = self.priority;
        request.max_retries = self.max_retries;
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a test time")
    }

    #[test]
    fn seconds_are_optional() {
        let five = Schedule::parse("*/5 * * * * *", "UTC").expect("six fields");
        let start = at("2026-01-01T00:00:01Z");
        assert_eq!(five.next_after(start), Some(at("2026-01-01T00:00:05Z")));
        let minutely = Schedule::parse("* * * * *", "UTC").expect("five fields");
        assert_eq!(minutely.next_after(start), Some(at("2026-01-01T00:01:00Z")));
    }

    #[test]
    fn ticks_follow_the_zone() {
        let paris = Schedule::parse("0 0 3 * * *", "Europe/Paris").expect("valid");
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            paris.next_after(at("2026-01-10T00:00:00Z")),
            Some(at("2026-01-10T02:00:00Z"))
        );
        assert_eq!(
            paris.next_after(at("2026-07-10T00:00:00Z")),
            Some(at("2026-07-10T01:00:00Z"))
        );
        assert_eq!(paris.zone(), "Europe/Paris");
    }

    #[test]
    fn latest_tick_is_inclusive() {
        let hourly = Schedule::parse("0 0 * * * *", "UTC").expect("valid");
        let on_tick = Utc
            .with_ymd_and_hms(2026, 1, 1, 5, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(hourly.latest_at_or_before(on_tick), Some(on_tick));
        let after = at("2026-01-01T05:59:59Z");
        assert_eq!(hourly.latest_at_or_before(after), Some(on_tick));
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        let zone = Schedule::parse("* * * * *", "Mars/Olympus").expect_err("bad zone");
        assert_eq!(zone, CronError::Zone("Mars/Olympus".into()));
        assert!(zone.to_string().contains("IANA"));
        let expression = Schedule::parse("61 * * * *", "UTC").expect_err("bad minute");
        assert!(matches!(expression, CronError::Expression { .. }));
        assert!(Schedule::parse("* * * * * * 2030", "UTC").is_err());
        let schedule = Schedule::parse("* * * * *", "UTC").expect("valid");
        let payload = serde_json::value::to_raw_value(&()).expect("null");
        let name = CronEntry::new("a/b", schedule, "EMAIL", payload).expect_err("slash");
        assert_eq!(name, CronError::Name("a/b".into()));
    }
}
