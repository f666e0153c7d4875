"""Entry point of the fault suite: runs the phases of the chosen mode, prints
the table, and exits non-zero when a guarantee or a bound was broken.

    python3 -m faults.run          # the full run: one phase per fault and backend
    python3 -m faults.run --ci     # bounded (about 2 minutes): faults share phases
    python3 -m faults.run --only sqlite-kill,pg-crash

RUSTQUEUE_BIN points at another binary (default: target/debug/rustqueue)."""

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections import OrderedDict

from . import procs
from .checker import CATEGORIES
from .env import ROOT
from .scenarios import run_phase

# The phases: store = sqlite | tmpfs | postgres (a fresh schema on the shared
# server) | private (a PostgreSQL cluster of our own, which we may crash).
# {"speed": 100}: demo types only 100 times faster (TAKESLONG runs 100 ms), so
# a burst keeps the nodes busy while PostgreSQL is cut.
FULL = [
    ("sqlite-kill", "sqlite", "sqlite", 1, ["node_sigkill"] * 3),
    ("sqlite-term", "sqlite", "sqlite", 1, ["sigterm_stream"] * 2),
    ("sqlite-worker", "sqlite", "sqlite", 1, ["worker_sigkill"] * 2),
    ("sqlite-disk", "sqlite", "tmpfs", 1, ["disk_full"] * 3),
    ("pg-kill", "postgres", "postgres", 3, ["node_sigkill"] * 3),
    ("pg-term", "postgres", "postgres", 3, ["sigterm_stream"] * 2),
    ("pg-worker", "postgres", "postgres", 3, ["worker_sigkill"] * 2),
    ("pg-crash", "postgres", "private", 3, ["pg_crash"] * 2),
    ("pg-outage", "postgres", "private", 3, ["sigterm_outage"] * 2, {"speed": 100}),
]
# CI: every fault at least once on each backend it applies to, fewer phases.
CI = [
    ("sqlite", "sqlite", "sqlite", 1, ["node_sigkill", "worker_sigkill", "sigterm_stream", "node_sigkill"]),
    ("sqlite-disk", "sqlite", "tmpfs", 1, ["disk_full"]),
    ("pg", "postgres", "postgres", 3, ["node_sigkill", "worker_sigkill", "sigterm_stream"]),
    ("pg-private", "postgres", "private", 3, ["pg_crash", "sigterm_outage"], {"speed": 100}),
]
MODES = {
    "full": {"plans": FULL, "producers": 3, "workers": 3, "gap": 6.0, "drain": 90, "hard_limit": 1500},
    "ci": {"plans": CI, "producers": 2, "workers": 2, "gap": 2.5, "drain": 45, "hard_limit": 300},
}
MUST_BE_ZERO = CATEGORIES + ["api", "bounds", "integrity"]


class Context:
    def __init__(self, mode, binary, log_dir):
        self.mode = mode
        self.binary = binary
        self.log_dir = log_dir

    def say(self, text):
        print(text, flush=True)


def plans(mode, only):
    chosen = []
    for seed, (name, backend, store, nodes, faults, *options) in enumerate(mode["plans"], start=1):
        if not only or name in only:
            chosen.append({"name": name, "backend": backend, "store": store, "nodes": nodes,
                           "faults": faults, "seed": seed, **(options[0] if options else {})})
    return chosen


def by_kind(faults):
    """The faults that ran, grouped by kind in the order they first ran."""
    kinds = OrderedDict()
    for fault in faults:
        kinds.setdefault(fault["fault"], []).append(fault)
    return kinds


def rows(outcomes):
    """Table rows: one per fault kind. A phase's numbers, and the verdict on what
    its checker found, stand on its first row; each row adds its own broken bounds."""
    table = []
    for outcome in outcomes:
        report = outcome["report"]
        kinds = by_kind(outcome["faults"]) or {name: [] for name in outcome["planned"]}
        for n, (kind, faults) in enumerate(kinds.items()):
            times = [fault["recovery"] for fault in faults]
            shown = "/".join("-" if t is None else f"{t:.1f}" for t in times)
            shown = f"{shown} s" if any(t is not None for t in times) else "-"
            if n > 0:
                numbers = [""] * 6
            elif report is None:
                numbers = ["?"] * 6
            else:
                numbers = [report.stats["acknowledged"], report.count("lost"),
                           report.count("duplicated"), report.count("stuck"),
                           report.stats["re_executed"], restart_leases(report)]
            name = f"{kind} x{len(times)}" if times else f"{kind} (not run)"
            broken = sum(len(f["violations"]) for f in faults)
            problems = ([] if n else phase_problems(outcome)) + ([f"bound {broken}"] if broken else [])
            text = "FAIL: " + ", ".join(problems) if problems else "ok" if faults or n == 0 else "-"
            table.append([name, outcome["backend"], *map(str, numbers), shown, text])
    return table


def restart_leases(report):
    """Remote leases held across node restarts by live workers: how many they kept,
    how many lapsed, and how many the server took back before they could run out."""
    held = report.stats.get("restart_leases_held", 0)
    if not held:
        return "-"
    return (f"{held}: {report.stats['restart_leases_kept']} kept, "
            f"{report.stats['restart_leases_lapsed']} lapsed, {report.count('restart_lease_lost')} lost")


def phase_problems(outcome):
    """What broke in the phase as a whole (not in one fault's own bounds)."""
    if outcome["error"]:
        return ["ERROR"]
    report = outcome["report"]
    own = sum(len(f["violations"]) for f in outcome["faults"])
    counts = {c: report.count(c) for c in MUST_BE_ZERO}
    counts["bounds"] -= own  # the faults' own bounds are shown on their rows
    return [f"{c} {n}" for c, n in counts.items() if n]


def verdict(outcome):
    if outcome["error"]:
        return "ERROR"
    report = outcome["report"]
    broken = [f"{c} {report.count(c)}" for c in MUST_BE_ZERO if report.count(c)]
    return "ok" if not broken else "FAIL: " + ", ".join(broken)


def print_table(outcomes, out=sys.stdout):
    header = ["fault", "backend", "acknowledged", "lost", "duplicated", "stuck", "re-executed",
              "restart leases", "recovery", "verdict"]
    body = rows(outcomes)
    widths = [max(len(row[i]) for row in [header] + body) for i in range(len(header))]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"
    print(line(header), file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for row in body:
        print(line(row), file=out)


def print_details(outcomes, limit=8):
    for outcome in outcomes:
        if outcome["error"]:
            print(f"\n{outcome['name']}: ERROR {outcome['error']}")
            continue
        report = outcome["report"]
        stats = report.stats
        print(f"\n{outcome['name']}: ops {stats['ops']}, tasks {stats['statuses']}, "
              f"worker 409s {stats['finish_409']}, late answers {stats['late_answers']} "
              f"({stats['late_answers_200']} answered 200 before any rescue), "
              f"drained in {fmt(outcome['drain_seconds'])}; remote leases held across node "
              f"restarts {stats.get('restart_leases_held', 0)}: kept by their live workers "
              f"{stats.get('restart_leases_kept', 0)}, lapsed {stats.get('restart_leases_lapsed', 0)}, "
              f"ended by lease expiry before they could run out {report.count('restart_lease_lost')}")
        for fault in outcome["faults"]:
            notes = "; ".join(fault["notes"])
            print(f"  {fault['fault']}: recovery {fmt(fault['recovery'])} (bound {fault['bound']:.0f} s)"
                  + (f"; {notes}" if notes else ""))
        for category in MUST_BE_ZERO:
            lines = report.violations.get(category, [])
            for text in lines[:limit]:
                print(f"  VIOLATION {category}: {text}")
            if len(lines) > limit:
                print(f"  VIOLATION {category}: ... and {len(lines) - limit} more")


def fmt(seconds):
    return "-" if seconds is None else f"{seconds:.1f} s"


def save(outcomes, log_dir):
    """The results as JSON beside the logs, for a later look."""
    data = [{**o, "report": None if o["report"] is None else
             {"violations": o["report"].violations, "stats": o["report"].stats}} for o in outcomes]
    with open(os.path.join(log_dir, "results.json"), "w") as out:
        json.dump(data, out, indent=1, default=str)


def watchdog(seconds):
    """A last resort against a hang: clean up and exit after `seconds`."""
    def expire():
        print(f"faults: hard time limit of {seconds} s reached; stopping everything", flush=True)
        procs.cleanup_all()
        os._exit(3)
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ci", action="store_true", help="the bounded run for CI")
    parser.add_argument("--only", help="comma-separated phase names")
    opts = parser.parse_args()
    mode = MODES["ci" if opts.ci else "full"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.environ.get("RUSTQUEUE_BIN") or os.path.join(target, "debug", "rustqueue")
    if not os.access(binary, os.X_OK):
        sys.exit(f"faults: no binary at {binary} (build it, or set RUSTQUEUE_BIN)")
    log_dir = os.path.join(ROOT, "artifacts", "faults", time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(log_dir, exist_ok=True)
    ctx = Context(mode, binary, log_dir)
    signal.signal(signal.SIGTERM, interrupted)
    watchdog(mode["hard_limit"])
    started = time.monotonic()
    outcomes = []
    try:
        for plan in plans(mode, set(opts.only.split(",")) if opts.only else None):
            ctx.say(f"phase {plan['name']} ({plan['backend']}, {plan['nodes']} node(s)): "
                    f"{', '.join(plan['faults'])}")
            outcomes.append(run_phase(ctx, plan))
    except KeyboardInterrupt:
        print("faults: interrupted; stopping everything", flush=True)
        procs.cleanup_all()
        sys.exit(130)
    finally:
        procs.cleanup_all()
        procs.forget_state()
    print()
    print_table(outcomes)
    print_details(outcomes)
    save(outcomes, log_dir)
    failed = [o["name"] for o in outcomes if verdict(o) != "ok"]
    print(f"\nfaults: {len(outcomes)} phases in {time.monotonic() - started:.0f} s; logs in {log_dir}")
    print(f"faults: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not outcomes else 0)


if __name__ == "__main__":
    main()
