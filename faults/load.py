"""The steady mixed load: producer threads that enqueue over HTTP on every
route (the original /api/enqueue, /api/tasks, /api/tasks/batch), with unique
keys, attempt budgets of 1 to 4, demo types that fail, remote types, and
deliberately invalid requests.

Every request is logged as one operation with its outcome:
  ack            2xx: the returned ids must exist at the end
  refused        a 4xx/507 answer to a valid request: nothing may exist
                 (a 503 is indeterminate: the store may have committed
                 before its connection broke)
  rejected       the 4xx answer to an invalid request: nothing may exist
  unsent         the connection was refused: nothing may exist
  indeterminate  sent, no answer: its tasks may or may not exist, but all or none
Each task's payload carries {"op": N, "i": k}, so the checker can trace
every stored task back to the operation that made it."""

import random
import threading
import time

from . import client

DEMO_TYPES = ["EMAIL", "SMS", "TEST", "DATACLEANUP", "REPORT", "NEWSLETTER", "TAKESLONG",
              "FAIL", "FAILABS"]
REMOTE_TYPES = ["RQ_REMOTE_A", "RQ_REMOTE_B"]
QUEUES = ["default", "mail", "reports"]
# The limits of the queue "limited" (set on the nodes before the load starts),
# which the checker holds every moment of the run to; its tasks carry keys.
# Both limits bind (5 keys could run 12, the queue lets 8), and the queue's
# share stays small: a key whose slots long remote attempts hold drains only
# as fast as they end, and a quarter of the load behind one slot per key
# outlasted the drain's bound.
LIMITS = {"limited": {"concurrency": 8, "per_key_limit": 2, "key_limits": {"k0": 4}}}
LIMITED_SHARE = 0.06
LIMITED_KEYS = ["k0", "k1", "k2", "k3", "k4"]

# The statuses an enqueue may answer, beside 2xx: 422 for invalid input;
# 503 (store unreachable) and 507 (disk full) for valid input the server cannot take now.
REFUSALS = {503, 507}


class EnqueueLog:
    """Every enqueue operation and its outcome, shared by the producers."""

    def __init__(self):
        self._lock = threading.Lock()
        self._next = 0
        self.ops = []
        self.anomalies = []  # answers that break the API contract

    def new_op(self):
        with self._lock:
            self._next += 1
            return self._next

    def add(self, op):
        with self._lock:
            self.ops.append(op)

    def anomaly(self, text):
        with self._lock:
            self.anomalies.append(text)

    def acknowledged_since(self, mark):
        """Acknowledged operations after the first `mark` operations."""
        with self._lock:
            return sum(1 for op in self.ops[mark:] if op["outcome"] == "ack")

    def count(self):
        with self._lock:
            return len(self.ops)


def marker(op, i):
    return {"op": op, "i": i, "note": "rustqueue fault suite"}


def limited_or_plain_queue(rng):
    return "limited" if rng.random() < LIMITED_SHARE else rng.choice(QUEUES)


def task_fields(rng, op, i, unique_pool=None):
    """One valid task body for /api/tasks."""
    kind = rng.choice(DEMO_TYPES + REMOTE_TYPES * 2)
    body = {"type": kind, "payload": marker(op, i), "queue": limited_or_plain_queue(rng),
            "priority": rng.randint(-2, 2), "max_retries": rng.randint(1, 4)}
    if rng.random() < 0.2:
        body["delay_ms"] = rng.randint(1, 300)  # ready again long before the end
    if unique_pool and rng.random() < 0.3:
        body["unique_key"] = f"uk-{rng.randrange(unique_pool)}"
    if body["queue"] in LIMITS and rng.random() < 0.9:
        body["concurrency_key"] = rng.choice(LIMITED_KEYS)
    return body


def valid_request(rng, op):
    """(route, body, items) of a valid enqueue."""
    roll = rng.random()
    if roll < 0.3:
        return "/api/enqueue", {"payload": marker(op, 0), "t_type": rng.choice(DEMO_TYPES)}, 1
    if roll < 0.7:
        return "/api/tasks", task_fields(rng, op, 0, unique_pool=20), 1
    size = rng.randint(2, 12)
    tasks = [task_fields(rng, op, i) for i in range(size)]
    return "/api/tasks/batch", {"tasks": tasks}, size


def invalid_request(rng, op):
    """(route, body, items) of an enqueue the server must refuse whole."""
    good = task_fields(rng, op, 0)
    variants = [
        ("/api/enqueue", {"payload": marker(op, 0), "t_type": "NO_SUCH_TYPE"}),
        ("/api/tasks", {**good, "type": "NO_SUCH_TYPE"}),
        ("/api/tasks", {**good, "max_retries": 0}),
        ("/api/tasks", {**good, "delay_ms": 10, "run_at": "2030-01-01T00:00:00Z"}),
        # A batch is all or nothing: one bad task must keep the good ones out too.
        ("/api/tasks/batch", {"tasks": [task_fields(rng, op, 0), task_fields(rng, op, 1),
                                        {**task_fields(rng, op, 2), "type": "NO_SUCH_TYPE"}]}),
    ]
    route, body = rng.choice(variants)
    items = len(body["tasks"]) if "tasks" in body else 1
    return route, body, items


def returned_ids(route, json_body):
    """The ids an acknowledged enqueue names, in request order."""
    if route == "/api/enqueue":
        return [json_body["id"]]
    if route == "/api/tasks":
        return [json_body["task"]["id"]]
    return [entry["task"]["id"] for entry in json_body["tasks"]]


def enqueue_once(log, rng, nodes, invalid_share=0.1, timeout=10.0):
    """Sends one random enqueue (valid or not) to a random node and logs it."""
    op = log.new_op()
    invalid = rng.random() < invalid_share
    route, body, items = (invalid_request if invalid else valid_request)(rng, op)
    return send(log, op, route, body, items, invalid, rng.choice(nodes), timeout)


def enqueue_padded(log, rng, node, pad, timeout=10.0):
    """Sends one valid enqueue whose payload carries `pad` bytes, and logs it."""
    op = log.new_op()
    body = task_fields(rng, op, 0)
    body["payload"]["pad"] = "x" * pad
    return send(log, op, "/api/tasks", body, 1, False, node, timeout)


def enqueue_burst(log, node, count, kind="REPORT", timeout=30.0):
    """One batch of `count` quick demo tasks, logged: keeps every node's workers busy."""
    op = log.new_op()
    tasks = [{"type": kind, "payload": marker(op, i)} for i in range(count)]
    return send(log, op, "/api/tasks/batch", {"tasks": tasks}, count, False, node, timeout)


def send(log, op, route, body, items, invalid, node, timeout):
    """Sends an enqueue and logs it with its outcome; returns the op record."""
    record = {"op": op, "route": route, "items": items, "invalid": invalid, "node": node,
              "ids": [], "status": None, "t": time.time()}
    started = time.monotonic()
    try:
        answer = client.call(node, "POST", route, body, timeout=timeout)
    except client.Unsent:
        record["outcome"] = "unsent"
    except client.Broken as err:
        record["outcome"] = "indeterminate"
        record["error"] = str(err)
    else:
        record["status"] = answer.status
        classify(log, record, answer)
    record["seconds"] = time.monotonic() - started
    log.add(record)
    return record


def classify(log, record, answer):
    """Sets the outcome of an answered enqueue and notes answers that break the contract."""
    where = f"op {record['op']} {record['route']} on {record['node']}"
    if answer.ok:
        record["outcome"] = "ack"
        if record["invalid"]:
            log.anomaly(f"{where}: invalid request accepted with {answer.status}")
        try:
            record["ids"] = returned_ids(record["route"], answer.json)
        except (KeyError, TypeError):
            log.anomaly(f"{where}: {answer.status} without the task ids: {answer.raw[:200]!r}")
        return
    record["outcome"] = "rejected" if record["invalid"] else "refused"
    if answer.status == 503 and not record["invalid"]:
        # The store went away: if it was mid-commit, the commit may have
        # landed with its answer lost (the server says so), like a timeout.
        record["outcome"] = "indeterminate"
    record["detail"] = answer.detail()
    if answer.detail() is None:
        log.anomaly(f"{where}: {answer.status} without a JSON {{\"detail\"}}: {answer.raw[:200]!r}")
    if record["invalid"] and not 400 <= answer.status < 500 and answer.status not in REFUSALS:
        log.anomaly(f"{where}: invalid request answered {answer.status}, not 4xx")
    if not record["invalid"] and answer.status not in REFUSALS:
        log.anomaly(f"{where}: valid request refused with {answer.status}: {answer.raw[:200]!r}")


class Producers:
    """Threads that enqueue steadily until stopped."""

    def __init__(self, log, nodes, count, pause=(0.005, 0.03), seed=1):
        self.log = log
        self.nodes = nodes
        self.count = count
        self.pause = pause
        self.seed = seed
        self.stop_event = threading.Event()
        self.threads = []

    def start(self):
        for n in range(self.count):
            thread = threading.Thread(target=self._run, args=(self.seed * 1000 + n,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _run(self, seed):
        rng = random.Random(seed)
        while not self.stop_event.is_set():
            try:
                enqueue_once(self.log, rng, self.nodes)
            except Exception as err:  # noted as an anomaly: the run must not lose its producers
                self.log.anomaly(f"producer error: {err!r}")
            self.stop_event.wait(rng.uniform(*self.pause))

    def stop(self, timeout=15.0):
        """Stops and waits; every request in flight has a 10 s timeout, so this ends."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)
