"""One phase's world: its store (a SQLite file, a SQLite file on a small tmpfs,
a fresh schema on the shared PostgreSQL, or a private PostgreSQL cluster),
its RustQueue nodes, its remote worker processes and its producers; started
together, and torn down together whatever happened."""

import json
import os
import random
import sqlite3
import sys
import time

from . import client, load, procs, readback, worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEASE_SECS = 2
GRACE_SECS = 2
WORKER_LEASE_MS = 1500
# A SIGTERMed node must be gone within its grace period plus this margin
# (overridable, to measure how long a node that breaks the bound really takes).
EXIT_MARGIN_SECS = float(os.environ.get("FAULTS_EXIT_MARGIN_SECS", "10"))
NODE_SETTINGS = ["--lease-secs", str(LEASE_SECS),
                 "--backoff-base-ms", "20", "--backoff-cap-ms", "200",
                 "--shutdown-grace-secs", str(GRACE_SECS), "--workers", "32",
                 "--remote-types", ",".join(load.REMOTE_TYPES), "--postgres-pool-size", "4"]


class Env:
    """Everything one phase runs; `start()` then `teardown()` (always)."""

    def __init__(self, ctx, plan):
        self.ctx = ctx
        self.plan = plan
        self.rng = random.Random(plan["seed"])
        self.dir = os.path.join(ctx.log_dir, plan["name"])
        os.makedirs(self.dir, exist_ok=True)
        self.nodes = []
        self.workers = []  # (Popen, log path), killed ones included
        self.killed = {}  # log path -> when its worker was SIGKILLed (epoch seconds)
        self.restarts = []  # (node name, down at, up again at) of each node restart
        self.log = load.EnqueueLog()
        self.producers = None
        self.pg = None
        self.sqlite_file = None
        self.tmpfs = None
        self._undo = []  # phase-scoped cleanups, run by teardown

    # --- the store -----------------------------------------------------------
    def store_args(self):
        kind = self.plan["store"]
        if kind in ("sqlite", "tmpfs"):
            where = self.dir
            if kind == "tmpfs":
                # Room for the phase's load (tasks, history, search index, a WAL of a
                # few MiB); the filler takes the rest when the fault comes.
                where, undo = procs.mount_tmpfs(self.plan.get("tmpfs_size", "32m"))
                self.tmpfs = where
                self._undo.append(undo)
            self.sqlite_file = os.path.join(where, "rustqueue.db")
            return ["--database-url", f"sqlite://{self.sqlite_file}"]
        if kind == "postgres":
            schema, undo = procs.fresh_schema(self.plan["name"].replace("-", "_"))
            self._undo.append(undo)
            return ["--database-url", procs.SHARED_POSTGRES, "--postgres-schema", schema]
        self.pg = procs.PrivatePostgres()
        self._undo.append(self.pg.destroy)
        return ["--database-url", self.pg.url, "--postgres-schema", "faults"]

    # --- start and stop ------------------------------------------------------
    def start(self):
        store = self.store_args()
        for n in range(self.plan["nodes"]):
            # Demo types 1000 times faster by default; a phase may slow them to keep
            # attempts running at the moment of its fault.
            settings = ["--demo-speed", str(self.plan.get("speed", 1000)), *NODE_SETTINGS]
            node = procs.Node(self.ctx.binary, f"node{n}", store, settings, self.dir)
            node.start()
            # One at a time on a fresh store: the first applies the migrations.
            if not node.wait_ready(60):
                raise RuntimeError(f"{node.name} did not become ready; see {node.log_path}")
            self.nodes.append(node)
        for queue, limits in load.LIMITS.items():
            answer = client.call(self.nodes[0].addr, "PUT", f"/api/queues/{queue}/limits", limits)
            if answer.status != 200:
                raise RuntimeError(f"setting the limits of {queue}: {answer.status} {answer.json}")
        for _ in range(self.ctx.mode["workers"]):
            self.start_worker()
        self.producers = load.Producers(self.log, self.addrs(), self.ctx.mode["producers"],
                                        seed=self.plan["seed"])
        self.producers.start()

    def addrs(self):
        return [node.addr for node in self.nodes]

    def start_worker(self):
        n = len(self.workers)
        log_path = os.path.join(self.dir, f"worker{n}.jsonl")
        args = [sys.executable, "-m", "faults.worker", "--nodes", ",".join(self.addrs()),
                "--types", ",".join(load.REMOTE_TYPES), "--log", log_path,
                "--seed", str(self.plan["seed"] * 100 + n), "--lease-ms", str(WORKER_LEASE_MS),
                "--max-seconds", str(self.ctx.mode["hard_limit"])]
        proc = procs.spawn(args, os.path.join(self.dir, f"worker{n}.out"), cwd=ROOT)
        self.workers.append((proc, log_path))
        return proc, log_path

    def live_workers(self):
        return [(proc, path) for proc, path in self.workers if proc.poll() is None]

    def answers(self):
        """Every answer the remote workers got to complete/fail."""
        return [entry for _, path in self.workers for entry in worker.read_log(path)
                if entry.get("e") == "answer"]

    def worker_logs(self):
        """Each remote worker's log, for the checker: (name, entries, killed at or None)."""
        return [(os.path.basename(path), worker.read_log(path), self.killed.get(path))
                for _, path in self.workers]

    def ensure_up(self):
        """Every node running and ready, the workers at full strength."""
        for node in self.nodes:
            if not node.alive():
                node.start()
            if not node.wait_ready(60):
                raise RuntimeError(f"{node.name} is not ready after recovery; see {node.log_path}")
        while len(self.live_workers()) < self.ctx.mode["workers"]:
            self.start_worker()

    def stop_nodes(self):
        """SIGTERMs every node; returns the lines of those that outlived the bound."""
        bound = GRACE_SECS + EXIT_MARGIN_SECS
        late = []
        for node in self.nodes:
            took = node.terminate(bound)
            if took is None:
                late.append(f"{node.name}: still running {bound} s after SIGTERM at the end "
                            f"of the phase (SIGKILLed); see {node.log_path}")
        return late

    def teardown(self):
        if self.producers is not None:
            self.producers.stop()
        for proc, _ in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        for node in self.nodes:
            node.kill()
        while self._undo:
            procs.release(self._undo.pop())

    # --- measures ------------------------------------------------------------
    def wait_recovered(self, since, bound, nodes=None):
        """Seconds from `since` (a monotonic time) until `nodes` (all by default)
        answer /readyz and the cluster finishes tasks again; None past `bound`."""
        deadline = since + bound
        nodes = nodes or self.nodes
        for node in nodes:
            if not client.wait_until(lambda: client.is_ready(node.addr), deadline, every=0.05):
                return None
        addr = nodes[0].addr
        base = None

        def progressed():
            # Work proceeds once the finished count grows past its first reading.
            nonlocal base
            done = readback.finished(addr)
            if done is None:
                return False
            if base is None:
                base = done
                return False
            return done > base

        if not client.wait_until(progressed, deadline, every=0.05):
            return None
        return time.monotonic() - since

    def steady(self, seconds):
        """Lets the load run (the producers keep going on their own threads)."""
        time.sleep(seconds)

    def warm_up(self, acks=30, seconds=15):
        """Waits until the load is flowing: some enqueues acknowledged."""
        client.wait_until(lambda: self.log.acknowledged_since(0) >= acks,
                          time.monotonic() + seconds, every=0.1)

    def save_ops(self):
        """The enqueue log beside the node logs, to trace a violation to its request."""
        with open(os.path.join(self.dir, "ops.jsonl"), "w") as out:
            for op in self.log.ops:
                out.write(json.dumps(op) + "\n")

    def integrity(self):
        """PRAGMA integrity_check on the SQLite file, once no node has it open."""
        if not self.sqlite_file or not os.path.exists(self.sqlite_file):
            return None
        with sqlite3.connect(self.sqlite_file, timeout=10) as db:
            rows = db.execute("PRAGMA integrity_check").fetchall()
        return ", ".join(str(row[0]) for row in rows)
