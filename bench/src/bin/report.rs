//! Prints the markdown table of a `scripts/bench` run from its JSON records
//! (one per line, from files or standard input), and how the goals fare.
//!
//! Run: `target/release/report results.jsonl`.

use std::io::Read;

use rustqueue_bench::BenchResult;
use rustqueue_bench::record::Record;
use rustqueue_bench::table::{Results, ratio};

/// One goal: RustQueue's row, the peers it must beat, by how much.
struct Goal {
    what: &'static str,
    workload: &'static str,
    system: &'static str,
    /// A peer's name must contain this (empty: the best peer).
    peer: &'static str,
    /// The advantage needed, or the largest allowed value when `limit` is set.
    factor: f64,
    limit: bool,
}

const GOALS: &[Goal] = &[
    Goal {
        what: "SQLite drain ≥ 3× the best peer",
        workload: "drain",
        system: "RustQueue SQLite normal (engine)",
        peer: "",
        factor: 3.0,
        limit: false,
    },
    Goal {
        what: "PostgreSQL drain ≥ 1.5× graphile-worker (batched)",
        workload: "drain",
        system: "RustQueue PostgreSQL 1 node (engine)",
        peer: "graphile-worker",
        factor: 1.5,
        limit: false,
    },
    Goal {
        what: "bulk enqueue ahead of every peer (SQLite)",
        workload: "bulk",
        system: "RustQueue SQLite normal (engine)",
        peer: "",
        factor: 1.0,
        limit: false,
    },
    Goal {
        what: "bulk enqueue ahead of every peer (PostgreSQL)",
        workload: "bulk",
        system: "RustQueue PostgreSQL 1 node (engine)",
        peer: "",
        factor: 1.0,
        limit: false,
    },
    Goal {
        what: "single HTTP enqueue ahead of BullMQ",
        workload: "single",
        system: "RustQueue server, SQLite normal (HTTP)",
        peer: "BullMQ",
        factor: 1.0,
        limit: false,
    },
    Goal {
        what: "p99 enqueue-to-start < 5 ms, idle",
        workload: "latency_idle",
        system: "RustQueue SQLite normal (engine)",
        peer: "",
        factor: 5.0,
        limit: true,
    },
    Goal {
        what: "server memory < 50 MiB in a drain",
        workload: "peak_mib",
        system: "RustQueue server, SQLite normal (HTTP)",
        peer: "",
        factor: 50.0,
        limit: true,
    },
];

fn verdict(results: &Results, goal: &Goal) -> String {
    let Some(ours) = results.median(goal.workload, goal.system) else {
        return format!("- {}: not measured", goal.what);
    };
    let Some(workload) = rustqueue_bench::record::workload(goal.workload) else {
        return format!("- {}: unknown workload", goal.what);
    };
    if goal.limit {
        let met = if ours < goal.factor { "met" } else { "missed" };
        return format!("- {}: **{met}** ({ours:.2} {})", goal.what, workload.unit);
    }
    let peer = if goal.peer.is_empty() {
        results.best_peer(goal.workload)
    } else {
        results.peer_matching(goal.workload, goal.peer)
    };
    match peer {
        None => format!("- {}: no peer measured", goal.what),
        Some((name, theirs)) => {
            let advantage = ratio(workload, ours, theirs);
            let met = if advantage >= goal.factor {
                "met"
            } else {
                "missed"
            };
            format!("- {}: **{met}** (×{advantage:.2} vs {name})", goal.what)
        }
    }
}

fn main() -> BenchResult<()> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let mut text = String::new();
    if paths.is_empty() {
        std::io::stdin().read_to_string(&mut text)?;
    }
    for path in &paths {
        text.push_str(&std::fs::read_to_string(path)?);
        text.push('\n');
    }
    let results = Results::new(text.lines().filter_map(Record::from_json));
    println!("{}", results.markdown());
    println!("Goals (medians of this run):\n");
    for goal in GOALS {
        println!("{}", verdict(&results, goal));
    }
    Ok(())
}
