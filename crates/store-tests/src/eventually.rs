//! Waiting in tests for something another task or process does: one poll
//! loop with a deadline, so no test sleeps and hopes.

use std::fmt::Display;
use std::time::Duration;

use tokio::time::Instant;

/// The first pause is short: most conditions hold within milliseconds.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// Slow conditions (a restart, thousands of tasks) are polled no faster than
/// this, so the polling does not load the server it waits on.
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// What a check answers: done (with a value), or not yet.
pub trait Settled {
    /// What [`eventually`] returns once the check is done.
    type Value;
    /// `Ok` when done; otherwise what the panic shows if time runs out.
    fn settled(self) -> Result<Self::Value, String>;
}

impl Settled for bool {
    type Value = ();
    fn settled(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err("false".to_owned())
        }
    }
}

impl<T> Settled for Option<T> {
    type Value = T;
    fn settled(self) -> Result<T, String> {
        self.ok_or_else(|| "None".to_owned())
    }
}

/// `Err` carries what the check last saw, for the panic message.
impl<T, E: Display> Settled for Result<T, E> {
    type Value = T;
    fn settled(self) -> Result<T, String> {
        self.map_err(|last| last.to_string())
    }
}

/// Runs `check` until it answers `true`, `Some` or `Ok`, and returns what it
/// held; panics with `what` (and the last answer) once `limit` has passed.
/// The pause between checks starts at 5 ms and doubles up to 50 ms.
pub async fn eventually<S: Settled>(
    what: impl Display,
    limit: Duration,
    mut check: impl AsyncFnMut() -> S,
) -> S::Value {
    let deadline = Instant::now() + limit;
    let mut pause = FIRST_PAUSE;
    loop {
        let last = match check().await.settled() {
            Ok(value) => return value,
            Err(last) => last,
        };
        let now = Instant::now();
        assert!(
            now < deadline,
            "{what}: not within {limit:?} (last: {last})"
        );
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_what_the_check_found() {
        let mut calls = 0;
        let found = eventually("the third call", Duration::from_secs(5), async || {
            calls += 1;
            (calls == 3).then_some(calls)
        })
        .await;
        assert_eq!(found, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "never true: not within 50ms (last: false)")]
    async fn panics_with_what_once_the_limit_passes() {
        eventually("never true", Duration::from_millis(50), async || false).await;
    }

    #[tokio::test]
    #[should_panic(expected = "drained: not within 50ms (last: 7 left)")]
    async fn shows_what_the_check_last_saw() {
        let left = async || Err::<(), _>("7 left");
        eventually("drained", Duration::from_millis(50), left).await;
    }
}
