//! The nine demo task types of the original project, which sleep to simulate work.

use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;

use crate::context::TaskContext;
use crate::handler::{HandlerResult, Registry, TaskError, TaskHandler};

/// How a demo type behaves.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Sleeps, then succeeds.
    Succeed { secs: f64 },
    /// Succeeds with probability `p` after `ok_secs`, else fails after `fail_secs`.
    Flaky {
        p: f64,
        ok_secs: f64,
        fail_secs: f64,
    },
    /// Always fails after `secs`.
    Fail { secs: f64 },
}

const DEMO_TYPES: [(&str, Behaviour); 9] = [
    ("EMAIL", Behaviour::Succeed { secs: 2.0 }),
    ("REPORT", Behaviour::Succeed { secs: 5.0 }),
    ("DATACLEANUP", Behaviour::Succeed { secs: 3.0 }),
    ("SMS", Behaviour::Succeed { secs: 1.0 }),
    ("NEWSLETTER", Behaviour::Succeed { secs: 4.0 }),
    ("TAKESLONG", Behaviour::Succeed { secs: 10.0 }),
    ("TEST", Behaviour::Succeed { secs: 2.0 }),
    (
        "FAIL",
        Behaviour::Flaky {
            p: 0.25,
            ok_secs: 2.0,
            fail_secs: 1.0,
        },
    ),
    ("FAILABS", Behaviour::Fail { secs: 1.0 }),
];

/// One demo type, its durations divided by the server's demo speed.
#[derive(Debug, Clone, Copy)]
struct DemoHandler {
    behaviour: Behaviour,
    speed: f64,
}

impl DemoHandler {
    async fn pause(&self, secs: f64) {
        tokio::time::sleep(Duration::from_secs_f64(secs / self.speed)).await;
    }
}

#[async_trait]
impl TaskHandler for DemoHandler {
    async fn run(&self, _ctx: &TaskContext) -> HandlerResult {
        match self.behaviour {
            Behaviour::Succeed { secs } => {
                self.pause(secs).await;
                Ok(None)
            }
            Behaviour::Flaky {
                p,
                ok_secs,
                fail_secs,
            } => {
                // Decide before awaiting: the thread-local RNG is not Send.
                let succeeds = rand::rng().random_bool(p);
                if succeeds {
                    self.pause(ok_secs).await;
                    Ok(None)
                } else {
                    self.pause(fail_secs).await;
                    Err(TaskError::retryable(
                        "simulated failure (succeeds 25% of the time)",
                    ))
                }
            }
            Behaviour::Fail { secs } => {
                self.pause(secs).await;
                Err(TaskError::retryable("simulated failure (always fails)"))
            }
        }
    }

    fn description(&self) -> String {
        match self.behaviour {
            Behaviour::Succeed { secs } => format!("demo: succeeds after {secs} s"),
            Behaviour::Flaky {
                p,
                ok_secs,
                fail_secs,
            } => format!(
                "demo: succeeds with probability {p} after {ok_secs} s, otherwise fails after {fail_secs} s"
            ),
            Behaviour::Fail { secs } => format!("demo: always fails after {secs} s"),
        }
    }
}

/// Registers the nine demo types; `speed` divides their durations (1 = original, 100 = a hundred times faster).
pub fn register_demo_types(registry: &mut Registry, speed: f64) {
    let speed = if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    };
    for (name, behaviour) in DEMO_TYPES {
        registry.register(name, DemoHandler { behaviour, speed });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_the_nine_original_types() {
        let mut registry = Registry::new();
        register_demo_types(&mut registry, 1.0);
        assert_eq!(
            registry.types(),
            [
                "DATACLEANUP",
                "EMAIL",
                "FAIL",
                "FAILABS",
                "NEWSLETTER",
                "REPORT",
                "SMS",
                "TAKESLONG",
                "TEST"
            ]
        );
        let (_, email) = &registry.describe()[1];
        assert_eq!(email, "demo: succeeds after 2 s");
    }
}
