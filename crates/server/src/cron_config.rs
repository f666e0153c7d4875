//! Cron entries from the command line (`--cron`) and from a file
//! (`--cron-file`, TOML or JSON), checked when the flags are read.
//!
//! A file holds a list of entries under `cron`:
//!
//! ```toml
//! [[cron]]
//! name = "nightly-report"
//! schedule = "0 0 3 * * *"      # seconds first, optional
//! timezone = "Europe/Paris"     # IANA name, default UTC
//! type = "REPORT"
//! payload = { kind = "daily" }
//! queue = "reports"             # default "default"
//! priority = 5                  # default 0
//! max_retries = 3               # default 3
//! backfill = false              # default false
//! ```
//!
//! A flag is `NAME=SCHEDULE;TYPE` followed by optional `;key=value` parts
//! (`timezone`, `queue`, `priority`, `max_retries`, `backfill`, and last
//! `payload`, which takes the rest of the text, semicolons included).

use std::path::Path;

use rustqueue_core::cron::{CronEntry, Schedule};
use rustqueue_core::task::RawJson;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::{RawValue, to_raw_value};

/// The entries of a cron file.
#[derive(Debug, Clone, Default)]
pub struct CronFile(pub Vec<CronEntry>);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    cron: Vec<EntrySpec>,
}

/// One entry as a file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    name: String,
    schedule: String,
    #[serde(default = "utc")]
    timezone: String,
    #[serde(rename = "type")]
    task_type: String,
    #[serde(default)]
    payload: serde_json::Value,
    queue: Option<String>,
    priority: Option<i32>,
    max_retries: Option<u32>,
    #[serde(default)]
    backfill: bool,
}

fn utc() -> String {
    "UTC".to_owned()
}

impl EntrySpec {
    fn into_entry(self) -> Result<CronEntry, String> {
        let name = self.name;
        let fail = |error: String| format!("cron entry {name:?}: {error}");
        let schedule =
            Schedule::parse(&self.schedule, &self.timezone).map_err(|e| fail(e.to_string()))?;
        let payload = to_raw_value(&self.payload).map_err(|e| fail(e.to_string()))?;
        let mut entry = CronEntry::new(&name, schedule, &self.task_type, payload)
            .map_err(|e| fail(e.to_string()))?;
        entry.queue = self.queue;
        entry.priority = self.priority;
        entry.max_retries = self.max_retries;
        entry.backfill = self.backfill;
        Ok(entry)
    }
}

/// Reads a cron file: `.json` as JSON, anything else as TOML.
pub fn cron_file(path: &str) -> Result<CronFile, String> {
    let spec: FileSpec = read_settings_file(path)?;
    let entries = spec.cron.into_iter().map(EntrySpec::into_entry);
    Ok(CronFile(entries.collect::<Result<_, _>>()?))
}

/// Reads a settings file: `.json` as JSON, anything else as TOML; errors name the file.
pub(crate) fn read_settings_file<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("cannot read {path}: {error}"))?;
    let is_json = Path::new(path)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(&text).map_err(|error| format!("{path}: {error}"))
    } else {
        toml::from_str(&text).map_err(|error| format!("{path}: {error}"))
    }
}

/// Reads one `--cron` flag: `NAME=SCHEDULE;TYPE[;key=value...][;payload=JSON]`.
pub fn cron_flag(text: &str) -> Result<CronEntry, String> {
    let usage = "expected NAME=SCHEDULE;TYPE[;key=value...], e.g. 'tick=*/5 * * * * *;EMAIL;payload=\"hi\"'";
    let (name, rest) = text.split_once('=').ok_or(usage)?;
    let (schedule, rest) = rest.split_once(';').ok_or(usage)?;
    let (task_type, mut rest) = rest.split_once(';').unwrap_or((rest, ""));
    let mut spec = EntrySpec {
        name: name.trim().to_owned(),
        schedule: schedule.to_owned(),
        timezone: utc(),
        task_type: task_type.trim().to_owned(),
        payload: serde_json::Value::Null,
        queue: None,
        priority: None,
        max_retries: None,
        backfill: false,
    };
    while !rest.is_empty() {
        if let Some(payload) = rest.strip_prefix("payload=") {
            spec.payload = payload_value(payload);
            break;
        }
        let (part, after) = rest.split_once(';').unwrap_or((rest, ""));
        rest = after;
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: {usage}"))?;
        set_option(&mut spec, key.trim(), value.trim())?;
    }
    spec.into_entry()
}

/// JSON as written; text that is not JSON is taken as a JSON string.
fn payload_value(text: &str) -> serde_json::Value {
    serde_json::from_str::<Box<RawValue>>(text)
        .ok()
        .and_then(|raw: RawJson| serde_json::from_str(raw.get()).ok())
        .unwrap_or_else(|| serde_json::Value::String(text.to_owned()))
}

fn set_option(spec: &mut EntrySpec, key: &str, value: &str) -> Result<(), String> {
    let number = |what: &str| format!("{key}={value:?} is not {what}");
    match key {
        "timezone" | "tz" => spec.timezone = value.to_owned(),
        "queue" => spec.queue = Some(value.to_owned()),
        "priority" => spec.priority = Some(value.parse().map_err(|_| number("an integer"))?),
        "max_retries" => spec.max_retries = Some(value.parse().map_err(|_| number("a count"))?),
        "backfill" => spec.backfill = value.parse().map_err(|_| number("true or false"))?,
        _ => {
            return Err(format!(
                "unknown cron option {key:?} (known: timezone, queue, priority, max_retries, backfill, payload)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_names_every_field() {
        let entry = cron_flag(
            "report=0 0 3 * * *;REPORT;tz=Europe/Paris;queue=reports;priority=-2;max_retries=5;backfill=true;payload={\"a\":\"b;c\"}",
        )
        .expect("valid flag");
        assert_eq!(entry.name, "report");
        assert_eq!(entry.schedule.expression(), "0 0 3 * * *");
        assert_eq!(entry.schedule.zone(), "Europe/Paris");
        assert_eq!(entry.task_type, "REPORT");
        assert_eq!(entry.payload.get(), r#"{"a":"b;c"}"#);
        assert_eq!(entry.queue.as_deref(), Some("reports"));
        assert_eq!(
            (entry.priority, entry.max_retries, entry.backfill),
            (Some(-2), Some(5), true)
        );
    }

    #[test]
    fn a_short_flag_takes_the_defaults() {
        let entry = cron_flag("tick=*/5 * * * * *;EMAIL;payload=hello").expect("valid flag");
        assert_eq!(entry.schedule.zone(), "UTC");
        assert_eq!(
            entry.payload.get(),
            r#""hello""#,
            "text that is not JSON is a string"
        );
        assert_eq!(
            (entry.queue, entry.priority, entry.backfill),
            (None, None, false)
        );
        let bare = cron_flag("tick=* * * * *;EMAIL").expect("valid flag");
        assert_eq!(bare.payload.get(), "null");
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let cases = [
            ("no-schedule", "expected NAME=SCHEDULE;TYPE"),
            ("x=61 * * * *;EMAIL", "bad cron expression"),
            ("x=* * * * *;EMAIL;tz=Nowhere/Land", "unknown time zone"),
            ("x=* * * * *;EMAIL;color=blue", "unknown cron option"),
            ("x=* * * * *;EMAIL;priority=high", "not an integer"),
        ];
        for (flag, says) in cases {
            let error = cron_flag(flag).expect_err(flag);
            assert!(error.contains(says), "{flag}: {error}");
        }
    }

    #[test]
    fn files_are_toml_or_json() {
        let dir = tempfile::tempdir().expect("temp dir");
        let toml_path = dir.path().join("cron.toml");
        std::fs::write(
            &toml_path,
            "[[cron]]\nname = \"a\"\nschedule = \"0 * * * *\"\ntype = \"EMAIL\"\npayload = { to = \"x\" }\n\n\
             [[cron]]\nname = \"b\"\nschedule = \"*/10 * * * * *\"\ntimezone = \"Asia/Tokyo\"\ntype = \"SMS\"\nbackfill = true\n",
        )
        .expect("write");
        let CronFile(entries) = cron_file(toml_path.to_str().expect("utf-8")).expect("valid TOML");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].payload.get(), r#"{"to":"x"}"#);
        assert_eq!(
            (entries[1].schedule.zone(), entries[1].backfill),
            ("Asia/Tokyo", true)
        );

        let json_path = dir.path().join("cron.json");
        std::fs::write(
            &json_path,
            r#"{"cron": [{"name": "c", "schedule": "bad", "type": "EMAIL"}]}"#,
        )
        .expect("write");
        let error = cron_file(json_path.to_str().expect("utf-8")).expect_err("bad expression");
        assert!(
            error.contains("cron entry \"c\": bad cron expression"),
            "{error}"
        );
        std::fs::write(
            &json_path,
            r#"{"cron": [{"name": "c", "schedule": "* * * * *", "type": "EMAIL", "colour": 1}]}"#,
        )
        .expect("write");
        let error = cron_file(json_path.to_str().expect("utf-8")).expect_err("unknown field");
        assert!(error.contains("colour"), "{error}");
    }
}
