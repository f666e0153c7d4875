//! What the server is told about an attempt, from how its command ended:
//! exit 0 completes the task with stdout as its result; the permanent exit
//! code ends it `FAILED`; anything else is a failed attempt, which the
//! server's retry policy schedules again or ends when out of attempts; a
//! command killed because the worker is shutting down is handed back.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use serde_json::value::RawValue;

use super::child::{Ended, Ending, MAX_STDOUT, Stop};
use super::protocol::Report;

/// The report for an ended child; `None` when the lease is gone, since the
/// server has already decided the attempt's fate and would answer 409.
pub fn report(ended: Ended, permanent_exit_code: u8) -> Option<Report> {
    let Ended {
        ending,
        stdout,
        stderr_tail,
    } = ended;
    let fail = |what: String, permanent: bool| {
        Some(Report::Fail {
            error: with_tail(what, &stderr_tail),
            permanent,
        })
    };
    match ending {
        Ending::Stopped(Stop::LeaseLost) => None,
        // Handed back: a worker's restart must not use up the task's attempts.
        Ending::Stopped(Stop::Shutdown) => Some(Report::Release),
        Ending::TimedOut(after) => fail(
            format!("timed out after {after:?}; the command's process group was killed"),
            false,
        ),
        Ending::Broken(why) => fail(why, false),
        Ending::Exited(status) => match (status.code(), stdout) {
            (Some(0), Some(out)) => Some(Report::Complete(result_of(&out))),
            (Some(0), None) => fail(
                format!(
                    "the command exited 0, but its stdout was over {} MiB or was left open",
                    MAX_STDOUT >> 20
                ),
                false,
            ),
            (Some(code), _) => fail(
                format!("exit code {code}"),
                code == i32::from(permanent_exit_code),
            ),
            (None, _) => fail(killed_by(status), false),
        },
    }
}

/// The task's result from stdout: JSON when it parses (kept byte for byte),
/// otherwise the trimmed text as a JSON string; nothing at all is null.
pub fn result_of(stdout: &[u8]) -> Option<Box<RawValue>> {
    let text = String::from_utf8_lossy(stdout);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    serde_json::from_str::<Box<RawValue>>(trimmed)
        .or_else(|_| serde_json::value::to_raw_value(trimmed))
        .ok()
}

fn killed_by(status: ExitStatus) -> String {
    match status.signal() {
        Some(signal) => format!("killed by signal {signal}"),
        None => format!("ended without an exit code ({status})"),
    }
}

fn with_tail(what: String, stderr_tail: &str) -> String {
    match stderr_tail.is_empty() {
        true => what,
        false => format!("{what}: {stderr_tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ended(ending: Ending, stdout: &str) -> Ended {
        Ended {
            ending,
            stdout: Some(stdout.as_bytes().to_vec()),
            stderr_tail: "oops".into(),
        }
    }

    fn exit(code: i32) -> Ending {
        Ending::Exited(ExitStatus::from_raw(code << 8))
    }

    fn fail_of(report: Option<Report>) -> (String, bool) {
        match report {
            Some(Report::Fail { error, permanent }) => (error, permanent),
            other => panic!("not a failure: {other:?}"),
        }
    }

    #[test]
    fn stdout_becomes_the_result() {
        let result = |text: &str| result_of(text.as_bytes()).map(|raw| raw.get().to_owned());
        assert_eq!(
            result(" {\"b\": 1, \"a\": 2}\n").as_deref(),
            Some("{\"b\": 1, \"a\": 2}")
        );
        assert_eq!(
            result("  plain words \n").as_deref(),
            Some("\"plain words\"")
        );
        assert_eq!(result("42").as_deref(), Some("42"));
        assert_eq!(result(" \n"), None);
    }

    #[test]
    fn exit_codes_decide_the_report() {
        match report(ended(exit(0), "\"ok\""), 65) {
            Some(Report::Complete(Some(raw))) => assert_eq!(raw.get(), "\"ok\""),
            other => panic!("not completed: {other:?}"),
        }
        assert_eq!(
            fail_of(report(ended(exit(3), ""), 65)),
            ("exit code 3: oops".into(), false)
        );
        assert_eq!(
            fail_of(report(ended(exit(65), ""), 65)),
            ("exit code 65: oops".into(), true)
        );
        let killed = Ending::Exited(ExitStatus::from_raw(9));
        assert_eq!(
            fail_of(report(ended(killed, ""), 65)).0,
            "killed by signal 9: oops"
        );
    }

    #[test]
    fn stopped_children_are_handed_back_unless_the_lease_is_gone() {
        assert!(report(ended(Ending::Stopped(Stop::LeaseLost), ""), 65).is_none());
        let shutdown = report(ended(Ending::Stopped(Stop::Shutdown), ""), 65);
        assert!(matches!(shutdown, Some(Report::Release)), "{shutdown:?}");
        let timed_out = Ending::TimedOut(Duration::from_secs(2));
        assert!(
            fail_of(report(ended(timed_out, ""), 65))
                .0
                .starts_with("timed out after 2s")
        );
    }
}
