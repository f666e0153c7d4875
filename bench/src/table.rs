//! The markdown table of a whole `scripts/bench` run: the median of each
//! system's rounds per workload, and RustQueue's advantage over each peer.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::record::{Record, WORKLOADS, Workload, label};
use crate::stats::median;

/// The RustQueue rows each peer is compared with, per column: the server's
/// rows first for the HTTP and memory workloads, the engine's otherwise.
const REFERENCES: [(&str, [&str; 2]); 2] = [
    (
        "SQLite",
        [
            "RustQueue SQLite normal (engine)",
            "RustQueue server, SQLite normal (HTTP)",
        ],
    ),
    (
        "PostgreSQL",
        [
            "RustQueue PostgreSQL 1 node (engine)",
            "RustQueue server, PostgreSQL (HTTP)",
        ],
    ),
];

/// Workloads whose RustQueue reference is the real server.
const SERVER_FIRST: [&str; 4] = ["single", "concurrent", "peak_mib", "rss_idle"];

/// Every round of one system in one workload.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// The records, in the order the rounds ran.
    pub records: Vec<Record>,
}

impl Row {
    /// The median value over the rounds.
    pub fn median(&self) -> f64 {
        let values: Vec<f64> = self.records.iter().map(|r| r.value).collect();
        median(&values).unwrap_or(f64::NAN)
    }

    /// The detail of the round closest to the median.
    fn detail(&self) -> &str {
        let median = self.median();
        self.records
            .iter()
            .min_by(|a, b| {
                (a.value - median)
                    .abs()
                    .total_cmp(&(b.value - median).abs())
            })
            .map_or("", |record| record.detail.as_str())
    }
}

/// Records grouped by workload, then system (in the order systems first appear).
#[derive(Debug, Default)]
pub struct Results {
    rows: BTreeMap<usize, Vec<(String, Row)>>,
}

impl Results {
    /// Groups `records`; records of unknown workloads are left out.
    pub fn new(records: impl IntoIterator<Item = Record>) -> Self {
        let mut results = Self::default();
        for record in records {
            let Some(order) = WORKLOADS.iter().position(|w| w.key == record.workload) else {
                continue;
            };
            let systems = results.rows.entry(order).or_default();
            match systems.iter_mut().find(|(name, _)| *name == record.system) {
                Some((_, row)) => row.records.push(record),
                None => systems.push((
                    record.system.clone(),
                    Row {
                        records: vec![record],
                    },
                )),
            }
        }
        results
    }

    /// The median of `system` in workload `key`.
    pub fn median(&self, key: &str, system: &str) -> Option<f64> {
        let order = WORKLOADS.iter().position(|w| w.key == key)?;
        let systems = self.rows.get(&order)?;
        systems
            .iter()
            .find(|(name, _)| name == system)
            .map(|(_, row)| row.median())
    }

    /// The best median among the systems that are not RustQueue in workload `key`, with its system.
    pub fn best_peer(&self, key: &str) -> Option<(String, f64)> {
        let workload = crate::record::workload(key)?;
        let order = WORKLOADS.iter().position(|w| w.key == key)?;
        self.rows
            .get(&order)?
            .iter()
            .filter(|(name, _)| !is_rustqueue(name))
            .map(|(name, row)| (name.clone(), row.median()))
            .max_by(|a, b| better_cmp(workload, a.1, b.1))
    }

    /// The median of the first peer whose name contains `part` in workload `key`.
    pub fn peer_matching(&self, key: &str, part: &str) -> Option<(String, f64)> {
        let order = WORKLOADS.iter().position(|w| w.key == key)?;
        self.rows
            .get(&order)?
            .iter()
            .find(|(name, _)| !is_rustqueue(name) && name.contains(part))
            .map(|(name, row)| (name.clone(), row.median()))
    }

    /// RustQueue's reference median for column `column` of workload `key`.
    fn reference(&self, key: &str, column: usize) -> Option<f64> {
        let [engine, server] = REFERENCES[column].1;
        let order = if SERVER_FIRST.contains(&key) {
            [server, engine]
        } else {
            [engine, server]
        };
        order.iter().find_map(|system| self.median(key, system))
    }

    /// The whole table in markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| workload | system | durability | median | rounds | RustQueue SQLite advantage | RustQueue PostgreSQL advantage | detail (median round) |\n|---|---|---|---|---|---|---|---|"
        );
        for (order, systems) in &self.rows {
            let workload = &WORKLOADS[*order];
            for (system, row) in systems {
                let _ = writeln!(out, "{}", self.line(workload, system, row));
            }
        }
        out
    }

    fn line(&self, workload: &Workload, system: &str, row: &Row) -> String {
        let n = row.records.first().map_or(0, |r| r.n);
        let rounds: Vec<String> = row.records.iter().map(|r| number(r.value)).collect();
        let ratios: Vec<String> = (0..REFERENCES.len())
            .map(
                |column| match (is_rustqueue(system), self.reference(workload.key, column)) {
                    (false, Some(reference)) => advantage(workload, reference, row.median()),
                    _ => String::new(),
                },
            )
            .collect();
        format!(
            "| {} | {system} | {} | **{} {}** | {} | {} | {} | {} |",
            label(workload.key, n),
            row.records.first().map_or("", |r| r.durability.as_str()),
            number(row.median()),
            workload.unit,
            rounds.join(" / "),
            ratios[0],
            ratios[1],
            row.detail().replace('|', "/"),
        )
    }
}

/// Whether a system is one of RustQueue's rows.
pub fn is_rustqueue(system: &str) -> bool {
    system.starts_with("RustQueue")
}

/// Orders values so that the better one is greater.
fn better_cmp(workload: &Workload, a: f64, b: f64) -> std::cmp::Ordering {
    if workload.higher_is_better {
        a.total_cmp(&b)
    } else {
        b.total_cmp(&a)
    }
}

/// How many times better RustQueue's `reference` is than `peer`: above 1 is better.
pub fn ratio(workload: &Workload, reference: f64, peer: f64) -> f64 {
    if workload.higher_is_better {
        reference / peer
    } else {
        peer / reference
    }
}

fn advantage(workload: &Workload, reference: f64, peer: f64) -> String {
    format!("×{:.2}", ratio(workload, reference, peer))
}

/// A value with sensible precision: whole numbers from 100 up.
pub fn number(value: f64) -> String {
    if value.abs() >= 100.0 {
        crate::record::thousands(value.round() as usize)
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(system: &str, workload: &str, value: f64) -> Record {
        Record {
            system: system.into(),
            workload: workload.into(),
            n: 100,
            value,
            detail: format!("v{value}"),
            durability: "d".into(),
        }
    }

    #[test]
    fn medians_and_advantages() {
        let results = Results::new(vec![
            record("RustQueue SQLite normal (engine)", "drain", 300.0),
            record("RustQueue SQLite normal (engine)", "drain", 100.0),
            record("RustQueue SQLite normal (engine)", "drain", 200.0),
            record("BullMQ", "drain", 50.0),
            record("BullMQ", "peak_mib", 80.0),
            record("RustQueue server, SQLite normal (HTTP)", "peak_mib", 20.0),
            record("someone", "unknown workload", 1.0),
        ]);
        assert_eq!(
            results.median("drain", "RustQueue SQLite normal (engine)"),
            Some(200.0)
        );
        assert_eq!(results.best_peer("drain"), Some(("BullMQ".into(), 50.0)));
        let table = results.markdown();
        assert!(
            table.contains("| **200 tasks/s** | 300 / 100 / 200 |"),
            "{table}"
        );
        assert!(table.contains("×4.00"), "{table}");
        assert!(!table.contains("unknown"));
        assert_eq!(number(12.345), "12.35");
        assert_eq!(number(12_345.6), "12,346");
    }
}
