//! One measurement as every runner emits it (Rust and the peers alike): a JSON
//! line on stdout with `--json`, a readable line otherwise; and the catalogue
//! of workloads the report knows.

use serde_json::{Value, json};

/// What a workload measures and which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// The key records carry.
    pub key: &'static str,
    /// The label in the table; `{n}` is replaced by the task count.
    pub label: &'static str,
    /// The unit of the value.
    pub unit: &'static str,
    /// Whether a larger value is better.
    pub higher_is_better: bool,
}

/// Every workload, in table order.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        key: "bulk",
        label: "bulk enqueue of {n}, batches of 1,000",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "bulk_http",
        label: "bulk enqueue of {n} over HTTP, batches of 1,000",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "single",
        label: "one-at-a-time enqueue of {n}, one client",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "concurrent",
        label: "enqueue of {n} from 32 concurrent clients",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "drain",
        label: "drain of {n} no-op tasks",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "drain_default",
        label: "drain of {n} no-op tasks, default --workers 64",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "drain_worker_cli",
        label: "drain of {n} no-op tasks by `rustqueue worker` (a process per task)",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "drain_protocol",
        label: "drain of {n} no-op tasks by a protocol worker, batched leases",
        unit: "tasks/s",
        higher_is_better: true,
    },
    Workload {
        key: "latency_idle",
        label: "enqueue-to-start p99, idle ({n} probes)",
        unit: "ms",
        higher_is_better: false,
    },
    Workload {
        key: "latency_load",
        label: "enqueue-to-start p99, under load ({n} probes)",
        unit: "ms",
        higher_is_better: false,
    },
    Workload {
        key: "peak_mib",
        label: "peak memory of the worker process, drain of {n}",
        unit: "MiB",
        higher_is_better: false,
    },
    Workload {
        key: "rss_idle",
        label: "server memory, idle (VmRSS)",
        unit: "MiB",
        higher_is_better: false,
    },
    Workload {
        key: "rss_queued",
        label: "server memory, {n} tasks queued (VmRSS)",
        unit: "MiB",
        higher_is_better: false,
    },
];

/// The workload with this key.
pub fn workload(key: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|workload| workload.key == key)
}

/// One measurement of one system.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The system measured, e.g. "RustQueue SQLite normal (engine)".
    pub system: String,
    /// A [`Workload`] key.
    pub workload: String,
    /// Tasks (or probes) in the workload.
    pub n: usize,
    /// The measurement, in the workload's unit.
    pub value: f64,
    /// Free text: percentiles, settings.
    pub detail: String,
    /// What an acknowledged enqueue survives.
    pub durability: String,
}

impl Record {
    /// The record as one JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "system": self.system, "workload": self.workload, "n": self.n,
            "value": self.value, "detail": self.detail, "durability": self.durability,
        })
    }

    /// Reads a record from a JSON line; `None` for anything else.
    pub fn from_json(line: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(line).ok()?;
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            system: text("system")?,
            workload: text("workload")?,
            n: value.get("n").and_then(Value::as_u64).unwrap_or(0) as usize,
            value: value.get("value").and_then(Value::as_f64)?,
            detail: text("detail").unwrap_or_default(),
            durability: text("durability").unwrap_or_default(),
        })
    }
}

/// Prints records as JSON lines or as readable lines.
#[derive(Debug, Clone)]
pub struct Reporter {
    /// JSON lines instead of text.
    pub json: bool,
    /// The system every record of this reporter is about.
    pub system: String,
    /// Its durability.
    pub durability: String,
}

impl Reporter {
    /// Prints one measurement of this reporter's system.
    pub fn emit(&self, workload: &str, n: usize, value: f64, detail: impl Into<String>) {
        let record = Record {
            system: self.system.clone(),
            workload: workload.into(),
            n,
            value,
            detail: detail.into(),
            durability: self.durability.clone(),
        };
        if self.json {
            println!("{}", record.to_json());
        } else {
            let unit = workload_unit(workload);
            println!(
                "{:<48} {:>10.1} {unit:<8} {}",
                label(workload, n),
                value,
                record.detail
            );
        }
    }
}

fn workload_unit(key: &str) -> &'static str {
    workload(key).map_or("", |workload| workload.unit)
}

/// The table label of a workload with `n` tasks, e.g. "drain of 20,000 no-op tasks".
pub fn label(key: &str, n: usize) -> String {
    workload(key).map_or_else(
        || key.to_owned(),
        |workload| workload.label.replace("{n}", &thousands(n)),
    )
}

/// `20000` as "20,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_json() {
        let record = Record {
            system: "s".into(),
            workload: "drain".into(),
            n: 20_000,
            value: 1.5,
            detail: "d".into(),
            durability: "x".into(),
        };
        assert_eq!(
            Record::from_json(&record.to_json().to_string()),
            Some(record)
        );
        assert_eq!(Record::from_json("not json"), None);
    }

    #[test]
    fn labels_and_thousands() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(label("drain", 20_000), "drain of 20,000 no-op tasks");
        assert!(WORKLOADS.iter().all(|w| workload(w.key) == Some(w)));
    }
}
