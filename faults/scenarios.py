"""The faults, and a phase: load -> faults -> recovery -> drain -> read back ->
check. Each fault returns what it measured: its recovery time (from the moment
the system was let recover: the node restarted, the database back, the disk
freed) and the bounds it broke."""

import contextlib
import os
import socket
import threading
import time
from collections import Counter

from . import checker, client, load, readback
from .env import EXIT_MARGIN_SECS, GRACE_SECS, LEASE_SECS, WORKER_LEASE_MS, Env
from .worker import read_log

RECOVERY_BOUND = 30  # seconds for a node to be ready and finishing tasks again
PG_RECOVERY_BOUND = 60  # the same after a PostgreSQL crash (WAL replay, reconnects)
EXIT_BOUND = GRACE_SECS + EXIT_MARGIN_SECS


def result(name, recovery, bound, violations=(), notes=()):
    return {"fault": name, "recovery": recovery, "bound": bound,
            "violations": list(violations), "notes": list(notes)}


def recovery_violation(name, recovery, bound):
    return [] if recovery is not None else [f"{name}: not ready and finishing tasks within {bound} s"]


def remote_leases_held(env, seconds=5):
    """Waits (at most `seconds`) until a live remote worker runs a long attempt, so
    that a node restart falls inside remote leases; returns a note on what they held."""
    def held():
        return [lease for _, path in env.live_workers() for lease in open_leases(read_log(path))]

    def long_ones():
        return [lease for lease in held() if lease[3] == "long"]

    client.wait_until(long_ones, time.monotonic() + seconds, every=0.05)
    return f"remote workers held {len(held())} leases ({len(long_ones())} long) when it went down"


def node_sigkill(env):
    """SIGKILL a node mid-load, while remote workers hold leases, and restart it on
    the same store: their leases must outlive the restart."""
    node = env.rng.choice(env.nodes)
    note = remote_leases_held(env)
    down_at = time.time()
    since = time.monotonic()
    node.kill()
    node.start()
    recovery = env.wait_recovered(since, RECOVERY_BOUND, [node])
    env.restarts.append((node.name, down_at, time.time()))
    return result("node SIGKILL", recovery, RECOVERY_BOUND,
                  recovery_violation(f"{node.name} after SIGKILL", recovery, RECOVERY_BOUND), [note])


class EventStream:
    """An open GET /api/events (an endless SSE stream) read on a thread."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: {addr}\r\n"
                          "Accept: text/event-stream\r\n\r\n".encode())
        self.received = 0
        self.closed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        self.sock.settimeout(None)
        try:
            while chunk := self.sock.recv(65536):
                self.received += len(chunk)
        except OSError:
            pass
        self.closed.set()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def node_sigterm_with_stream(env):
    """SIGTERM a node while a client holds its event stream open: it must still
    exit within the grace period plus a margin, then it is restarted."""
    node = env.rng.choice(env.nodes)
    stream = EventStream(node.addr)
    violations, notes = [], []
    try:
        if not client.wait_until(lambda: stream.received > 0, time.monotonic() + 10):
            violations.append(f"{node.name}: /api/events sent nothing in 10 s")
        notes.append(remote_leases_held(env))
        down_at = time.time()
        took = node.terminate(EXIT_BOUND)
        if took is None:
            violations.append(f"{node.name}: still running {EXIT_BOUND} s after SIGTERM with an open "
                              f"/api/events stream (grace {GRACE_SECS} s); SIGKILLed")
        else:
            notes.append(f"exited {took:.1f} s after SIGTERM")
    finally:
        stream.close()
    since = time.monotonic()
    node.start()
    recovery = env.wait_recovered(since, RECOVERY_BOUND, [node])
    env.restarts.append((node.name, down_at, time.time()))
    violations += recovery_violation(f"{node.name} after SIGTERM", recovery, RECOVERY_BOUND)
    return result("SIGTERM, event stream open", recovery, RECOVERY_BOUND, violations, notes)


def open_leases(entries):
    """(task, token, attempt, behaviour) of the leases a worker log shows no answer for."""
    answered = {(e["task"], e["token"]) for e in entries if e.get("e") in ("answer", "lost")}
    return [(e["task"], e["token"], e["attempt"], e.get("behaviour")) for e in entries
            if e.get("e") == "lease" and (e["task"], e["token"]) not in answered]


def rescued(addr, task_id, attempt):
    """Whether the attempt is over: the task left INPROGRESS or started another attempt."""
    try:
        task = client.get_json(addr, f"/api/tasks/{task_id}")
    except (client.Unsent, client.Broken, RuntimeError):
        return False
    return task["status"] != "INPROGRESS" or task["attempts"] != attempt


def worker_sigkill(env):
    """SIGKILL a remote worker holding leases; a new worker replaces it. Recovery:
    every lease it held is rescued by the reaper."""
    victims = env.live_workers()
    proc, log_path = env.rng.choice(victims)
    # Kill while it holds something, if it does within a few seconds.
    client.wait_until(lambda: open_leases(read_log(log_path)), time.monotonic() + 5, every=0.05)
    since = time.monotonic()
    env.killed[log_path] = time.time()
    proc.kill()
    proc.wait(timeout=10)
    env.start_worker()
    held = open_leases(read_log(log_path))
    # The worker's lease, then the reaper's period (lease-secs / 2), then the usual margin.
    bound = WORKER_LEASE_MS / 1000 + LEASE_SECS / 2 + RECOVERY_BOUND
    addr = env.nodes[0].addr
    done = client.wait_until(lambda: all(rescued(addr, t, a) for t, _, a, _ in held),
                             since + bound, every=0.1)
    recovery = time.monotonic() - since if done else None
    violations = [] if done else [f"leases of the killed worker not rescued within {bound:.0f} s"]
    return result("remote worker SIGKILL", recovery, bound, violations,
                  [f"it held {len(held)} leases"])


def postgres_crash_restart(env):
    """pg_ctl restart -m immediate on the private cluster, under load."""
    since = time.monotonic()
    env.pg.crash_restart()
    recovery = env.wait_recovered(since, PG_RECOVERY_BOUND)
    return result("PostgreSQL crash-restart", recovery, PG_RECOVERY_BOUND,
                  recovery_violation("cluster after the PostgreSQL crash", recovery, PG_RECOVERY_BOUND))


def sigterm_during_outage(env):
    """Stop PostgreSQL, SIGTERM a node while it cannot reach it (attempts are still
    finishing and cannot be recorded): it must exit within the bound anyway."""
    node = env.rng.choice(env.nodes)
    violations, notes = [], []
    # Cut the database while the node runs attempts, so their endings cannot be
    # recorded: an idle node would shut down at once and prove nothing.
    load.enqueue_burst(env.log, node.addr, 1000, kind="TAKESLONG")
    if not client.wait_until(lambda: busy(node.addr) > 0, time.monotonic() + 5, every=0.01):
        notes.append("the node ran nothing when the database stopped")
    env.pg.stop_immediately()
    try:
        if not client.wait_until(lambda: not client.is_ready(node.addr), time.monotonic() + 15):
            notes.append("readyz still answered 200 15 s into the outage")
        down_at = time.time()
        took = node.terminate(EXIT_BOUND)
        if took is None:
            violations.append(f"{node.name}: still running {EXIT_BOUND} s after SIGTERM during a "
                              f"PostgreSQL outage (grace {GRACE_SECS} s); SIGKILLed")
        else:
            notes.append(f"exited {took:.1f} s after SIGTERM")
    finally:
        env.pg.start()
    since = time.monotonic()
    node.start()
    recovery = env.wait_recovered(since, PG_RECOVERY_BOUND)
    env.restarts.append((node.name, down_at, time.time()))
    violations += recovery_violation("cluster after the outage", recovery, PG_RECOVERY_BOUND)
    return result("SIGTERM during PostgreSQL outage", recovery, PG_RECOVERY_BOUND, violations, notes)


def busy(addr):
    """Attempts running on the node now (its rustqueue_workers_busy gauge)."""
    try:
        metrics = client.call(addr, "GET", "/metrics").raw.decode()
    except (client.Unsent, client.Broken):
        return 0
    for line in metrics.splitlines():
        if line.startswith("rustqueue_workers_busy "):
            return float(line.split()[1])
    return 0


def fill(where):
    """Writes a filler file until the disk refuses another byte."""
    path = os.path.join(where, "filler")
    # O_CREAT on a full tmpfs can itself fail: the disk is full already, which is the point.
    with contextlib.suppress(OSError), open(path, "wb", buffering=0) as out:
        for size in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * size)
    return path


def disk_full(env, hold=4.0):
    """Fill the SQLite file's disk under load: enqueues must be refused with 503/507
    and a JSON detail, promptly; once the filler is gone the node must recover."""
    mark = env.log.count()
    path = fill(env.tmpfs)
    rng = env.rng
    until = time.monotonic() + hold
    while time.monotonic() < until:
        # Big payloads: they cannot fit in pages SQLite already has.
        load.enqueue_padded(env.log, rng, env.nodes[0].addr, pad=64 * 1024)
    during = env.log.ops[mark:]
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
    since = time.monotonic()
    violations = []
    refused = [op for op in during if op["outcome"] == "refused"]
    hung = [op for op in during if op["outcome"] == "indeterminate"]
    if not refused:
        violations.append("no enqueue was refused while the disk was full")
    for op in hung:
        violations.append(f"op {op['op']}: no answer on a full disk ({op.get('error')})")
    for op in refused:
        if op["status"] not in (503, 507):
            violations.append(f"op {op['op']}: answered {op['status']} on a full disk, not 503/507")
    freed_at = time.time()
    recovery = env.wait_recovered(since, RECOVERY_BOUND)
    # Recovered means enqueues are accepted again too, not only old work finishing.
    if recovery is not None and not client.wait_until(
            lambda: any(op["outcome"] == "ack" and op["t"] >= freed_at for op in env.log.ops[mark:]),
            since + RECOVERY_BOUND):
        recovery = None
    if recovery is not None:
        recovery = time.monotonic() - since
    violations += recovery_violation("node after the disk was freed", recovery, RECOVERY_BOUND)
    answered = Counter(str(op["status"] or op["outcome"]) for op in during)
    statuses = ", ".join(f"{status} x{n}" for status, n in sorted(answered.items()))
    return result("disk full (SQLite on tmpfs)", recovery, RECOVERY_BOUND, violations,
                  [f"while full, {len(refused)} of {len(during)} enqueues refused ({statuses})"])


FAULTS = {
    "node_sigkill": node_sigkill,
    "sigterm_stream": node_sigterm_with_stream,
    "worker_sigkill": worker_sigkill,
    "pg_crash": postgres_crash_restart,
    "sigterm_outage": sigterm_during_outage,
    "disk_full": disk_full,
}


def run_phase(ctx, plan):
    """One phase from start to verdict; never raises (an error is its verdict)."""
    env = Env(ctx, plan)
    outcome = {"name": plan["name"], "backend": plan["backend"], "planned": plan["faults"],
               "faults": [], "report": None, "error": None, "drain_seconds": None}
    try:
        env.start()
        env.warm_up()
        for name in plan["faults"]:
            env.steady(ctx.mode["gap"])
            outcome["faults"].append(FAULTS[name](env))
            ctx.say(f"  {plan['name']}: {describe(outcome['faults'][-1])}")
        env.steady(ctx.mode["gap"])
        env.producers.stop()
        env.ensure_up()
        outcome["drain_seconds"] = readback.wait_drained(env.nodes[0].addr, ctx.mode["drain"])
        snap = readback.snapshot(env.addrs())
        for proc, _ in env.live_workers():
            proc.kill()  # after the read: nothing is running, so no answer can change it
            proc.wait(timeout=10)
        env.save_ops()
        report = checker.check(env.log.ops, snap["tasks"], snap["histories"], env.answers(),
                               snap["counts"], snap["read_at"], env.worker_logs(), env.restarts,
                               limits=load.LIMITS)
        finish_report(env, outcome, report)
    except Exception as err:  # the phase fails, the suite goes on to the next
        import traceback
        outcome["error"] = f"{err!r}\n{traceback.format_exc()}"
    finally:
        env.teardown()
    return outcome


def finish_report(env, outcome, report):
    """Adds what the phase saw beside the checker: API anomalies, broken bounds,
    the nodes' own shutdown at the end, and SQLite's integrity check."""
    outcome["report"] = report
    for line in env.log.anomalies:
        report.add("api", line)
    for fault in outcome["faults"]:
        for line in fault["violations"]:
            report.add("bounds", line)
    for line in env.stop_nodes():
        report.add("bounds", line)
    if env.sqlite_file:
        verdict = env.integrity()
        if verdict != "ok":
            report.add("integrity", f"PRAGMA integrity_check: {verdict}")
    if outcome["drain_seconds"] is None:
        report.stats["drained"] = False


def describe(fault):
    recovery = "not recovered" if fault["recovery"] is None else f"recovered in {fault['recovery']:.1f} s"
    extra = "; ".join(fault["notes"] + fault["violations"])
    return f"{fault['fault']}: {recovery}" + (f" ({extra})" if extra else "")
