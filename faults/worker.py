"""A remote worker that misbehaves on purpose, run as its own process
(`python3 -m faults.worker ...`) so the suite can SIGKILL it.

It speaks the worker protocol (/api/worker/lease, heartbeat, complete, fail)
and, per lease, picks one behaviour: complete, fail (transient or permanent),
run slowly while heartbeating past the first lease, abandon the lease, or
answer late, after the lease expired, or run long on a long lease (so that a
node restart falls inside it). Every answer it gets to complete/fail is
appended to a JSON-lines log, which the checker reads: two 200 answers that
finish the same task twice are the double completion we hunt. Each lease and
heartbeat is logged with the time its request was sent: the lease cannot
expire before that time plus its lease_ms, which bounds when the server may
rightly take it back."""

import argparse
import json
import random
import threading
import time

from . import client

# Per lease: behaviour -> weight. Mostly honest, so the load makes progress.
BEHAVIOURS = {"complete": 60, "fail": 12, "fail_permanent": 5, "slow": 8,
              "abandon": 7, "late": 8, "long": 6}
# A "long" attempt renews its lease for this long, every LONG_BEAT_SECS, and
# completes after LONG_SECS: a node SIGKILLed or SIGTERMed and restarted within
# the lease must leave it running.
LONG_LEASE_MS = 6000
LONG_BEAT_SECS = 1.0
LONG_SECS = 8.0


class Worker:
    def __init__(self, opts):
        self.opts = opts
        self.nodes = opts.nodes.split(",")
        self.types = opts.types.split(",")
        self.lease_ms = opts.lease_ms
        self.rng = random.Random(opts.seed)
        self.log_lock = threading.Lock()
        self.log = open(opts.log, "a")
        self.side = threading.BoundedSemaphore(32)  # slow/late attempts running aside
        self.stop_at = time.monotonic() + opts.max_seconds

    def record(self, **entry):
        """One log line, flushed at once: the process may be SIGKILLed any time."""
        entry["t"] = time.time()
        with self.log_lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def post(self, path, body, timeout=5.0):
        """POST to a random node; (node, Answer), or (node, None) when it failed."""
        node = self.rng.choice(self.nodes)
        try:
            return node, client.call(node, "POST", path, body, timeout=timeout)
        except (client.Unsent, client.Broken):
            return node, None

    def run(self, threads):
        workers = [threading.Thread(target=self.loop, daemon=True) for _ in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()

    def loop(self):
        while time.monotonic() < self.stop_at:
            try:
                self.once()
            except Exception as err:  # a worker that dies quietly would only weaken the load
                self.record(e="error", error=repr(err))
                time.sleep(0.2)

    def once(self):
        body = {"types": self.types, "limit": self.rng.randint(1, 4), "lease_ms": self.lease_ms}
        sent = time.time()
        _, answer = self.post("/api/worker/lease", body)
        if answer is None or answer.status != 200 or not isinstance(answer.json, dict):
            time.sleep(0.2)  # the node is down or its store is: try again soon
            return
        leases = answer.json.get("leases") or []
        if not leases:
            time.sleep(0.05)
        for lease in leases:
            self.handle(lease, sent)

    def handle(self, lease, sent):
        task, token = lease["task"], lease["token"]
        behaviour = self.rng.choices(list(BEHAVIOURS), weights=BEHAVIOURS.values())[0]
        # A batch of leases may share one token: an attempt is (task id, token).
        self.record(e="lease", task=task["id"], token=token, attempt=task["attempts"],
                    behaviour=behaviour, sent=sent, lease_ms=self.lease_ms)
        if behaviour == "abandon":
            return
        if behaviour in ("slow", "late", "long") and self.side.acquire(blocking=False):
            target = {"slow": self.slow, "late": self.late, "long": self.long}[behaviour]
            threading.Thread(target=target, args=(task, token), daemon=True).start()
            return
        time.sleep(self.rng.uniform(0, 0.01))
        if behaviour == "fail":
            self.finish("fail", task, token, error="remote worker: transient failure")
        elif behaviour == "fail_permanent":
            self.finish("fail", task, token, error="remote worker: permanent failure", permanent=True)
        else:
            self.finish("complete", task, token)

    def slow(self, task, token):
        """Works for twice the lease, renewing it, then completes."""
        try:
            self.keep(task, token, 2 * self.lease_ms / 1000, self.lease_ms / 3000, self.lease_ms)
        finally:
            self.side.release()

    def long(self, task, token):
        """Works for LONG_SECS on a lease renewed to LONG_LEASE_MS, then completes."""
        try:
            self.keep(task, token, LONG_SECS, LONG_BEAT_SECS, LONG_LEASE_MS)
        finally:
            self.side.release()

    def keep(self, task, token, seconds, every, lease_ms):
        """Heartbeats the lease every `every` seconds for `seconds`, then completes;
        stops at once if a heartbeat says the lease was lost."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            time.sleep(every)
            sent = time.time()
            node, answer = self.post("/api/worker/heartbeat", {
                "leases": [{"task_id": task["id"], "token": token}], "lease_ms": lease_ms})
            ok = answer is not None and answer.status == 200 and isinstance(answer.json, dict)
            lost = ok and task["id"] in (answer.json.get("lost") or [])
            self.record(e="beat", task=task["id"], token=token, sent=sent, lease_ms=lease_ms,
                        code=None if answer is None else answer.status, lost=lost, node=node)
            if lost:
                self.record(e="lost", task=task["id"], token=token)
                return
        self.finish("complete", task, token)

    def late(self, task, token):
        """Answers after the lease expired and the reaper (every lease/2, at most
        5 s) had time to rescue it: a 409 is expected, a 200 only if no rescue ran."""
        try:
            time.sleep(self.lease_ms / 1000 + self.opts.late_extra)
            self.finish("complete", task, token, late=True)
        finally:
            self.side.release()

    def finish(self, action, task, token, error=None, permanent=False, late=False):
        body = {"task_id": task["id"], "token": token}
        if action == "complete":
            body["result"] = {"by": "faults-worker", "attempt": task["attempts"]}
        else:
            body.update(error=error, permanent=permanent)
        node, answer = self.post(f"/api/worker/{action}", body)
        ok = answer is not None and answer.status == 200 and isinstance(answer.json, dict)
        status = answer.json.get("status") if ok else None
        self.record(e="answer", task=task["id"], token=token, action=action, late=late,
                    code=None if answer is None else answer.status, status=status, node=node,
                    permanent=permanent)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", required=True, help="host:port,host:port...")
    parser.add_argument("--types", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lease-ms", type=int, default=1500)
    parser.add_argument("--late-extra", type=float, default=2.5)
    parser.add_argument("--max-seconds", type=float, default=900, help="stops by itself after this")
    opts = parser.parse_args()
    Worker(opts).run(opts.threads)


def read_log(path):
    """The entries of a worker log; a last line cut by SIGKILL is skipped."""
    entries = []
    try:
        with open(path) as lines:
            for line in lines:
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    pass
    except FileNotFoundError:
        pass
    return entries


if __name__ == "__main__":
    main()
