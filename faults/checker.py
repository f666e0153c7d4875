"""The judge: pure functions from what the load did (the enqueue log, the remote
workers' answers) and what the server holds at the end (tasks, histories,
counts) to the guarantees that were broken. No I/O, so the unit tests can feed
it hand-made broken histories.

Must-be-zero categories:
  lost           an acknowledged enqueue's task is missing
  duplicated     a task finished twice: two `completed` events, two 200 answers
                 to complete for it, two 200 finishes of one lease, or a 200
                 completion the final state does not show
  stuck          INPROGRESS, or QUEUED and ready, once the system had recovered
  over_attempts  more attempts than max_retries
  phantom        a task no acknowledged or indeterminate enqueue explains, or
                 an indeterminate batch that was half written
  replay         a history that does not replay to the task's final state
  counts         GET /api/counts disagrees with the listing
  restart_lease_lost
                 a remote worker held a lease across a node restart (the node
                 SIGKILLed or SIGTERMed, the worker not) and the server ended
                 that attempt by lease expiry before the lease could have run
                 out: the worker's last renewal it saw succeed, sent at s with
                 lease_ms, holds the lease until at least s + lease_ms. A lease
                 that truly lapsed (no node reachable for longer than it) may
                 be taken back and is not counted.
  over_limit     more tasks of a limited queue (or of one concurrency key of
                 it) INPROGRESS at one moment than its limit allows, as the
                 histories tell: an attempt holds its place from `started` to
                 the event that ends it (a lapsed lease holds it until the
                 rescue's `lease_expired`)."""

from collections import Counter, defaultdict
from datetime import datetime

CATEGORIES = ["lost", "duplicated", "stuck", "over_attempts", "phantom", "replay", "counts",
              "restart_lease_lost", "over_limit"]
# Server timestamps are written to the millisecond; the worker's are finer.
CLOCK_SLACK = 0.05
STATUSES = ["QUEUED", "INPROGRESS", "COMPLETED", "FAILED"]


class Report:
    """Violations per category (lists of readable lines) and plain statistics."""

    def __init__(self):
        self.violations = {category: [] for category in CATEGORIES}
        self.stats = {}

    def add(self, category, text):
        self.violations.setdefault(category, []).append(text)

    def total(self):
        return sum(len(lines) for lines in self.violations.values())

    def count(self, category):
        return len(self.violations.get(category, []))


def parse_time(text):
    """ISO-8601 as the server writes it, to epoch seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def check(ops, tasks, histories, answers, counts, read_at, workers=(), restarts=(), limits=None):
    """Every check on one run; returns a Report. `workers` are the remote
    workers' logs as (name, entries, killed_at or None); `restarts` the node
    restarts as (name, down_at, up_at), in epoch seconds; `limits` the queues'
    limits as PUT /api/queues/{name}/limits takes them, by queue."""
    report = Report()
    by_id = {task["id"]: task for task in tasks}
    check_lost(report, ops, by_id)
    check_phantoms(report, ops, tasks)
    check_duplicates(report, by_id, histories, answers)
    check_stuck(report, tasks, read_at)
    check_attempts(report, tasks, histories)
    check_replay(report, tasks, histories)
    check_counts(report, tasks, counts)
    check_restart_leases(report, remote_attempts(workers), histories, restarts)
    check_limits(report, tasks, histories, limits or {})
    report.stats.update(stats(ops, tasks, histories, answers))
    return report


def check_lost(report, ops, by_id):
    for op in ops:
        if op["outcome"] != "ack":
            continue
        if len(op["ids"]) != op["items"]:
            report.add("lost", f"op {op['op']}: acknowledged {op['items']} tasks, named {len(op['ids'])}")
        for task_id in op["ids"]:
            if task_id not in by_id:
                report.add("lost", f"task {task_id} of acknowledged op {op['op']} ({op['route']}) is missing")


def op_of(task):
    """The (op, item) marker in a task's payload, or None."""
    payload = task.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("op"), int):
        return payload["op"], payload.get("i")
    return None


def check_phantoms(report, ops, tasks):
    by_op = {op["op"]: op for op in ops}
    present = defaultdict(set)  # op -> items that exist
    for task in tasks:
        mark = op_of(task)
        op = by_op.get(mark[0]) if mark else None
        if op is None:
            report.add("phantom", f"task {task['id']} is explained by no logged enqueue")
            continue
        present[op["op"]].add(mark[1])
        if op["outcome"] == "ack" and task["id"] not in op["ids"]:
            report.add("phantom", f"task {task['id']} made by op {op['op']} is not among the ids it answered")
        elif op["outcome"] in ("refused", "rejected", "unsent"):
            report.add("phantom", f"task {task['id']} exists but op {op['op']} ({op['route']}) was "
                                  f"{op['outcome']} with {op['status'] or 'no connection'}"
                                  + (f": {op['detail']!r}" if op.get("detail") else ""))
    for op_id, items in present.items():
        op = by_op[op_id]
        if op["outcome"] == "indeterminate" and len(items) != op["items"]:
            report.add("phantom", f"op {op_id} ({op['route']}): half written, "
                                  f"{len(items)} of {op['items']} tasks exist")


def check_duplicates(report, by_id, histories, answers):
    for task_id, events in histories.items():
        done = sum(1 for e in events if e["kind"] == "completed")
        if done > 1:
            report.add("duplicated", f"task {task_id}: {done} completed events")
    finished = defaultdict(list)  # task -> 200 answers to complete/fail
    for answer in answers:
        if answer.get("code") == 200:
            finished[answer["task"]].append(answer)
    for task_id, oks in finished.items():
        check_finishes(report, task_id, oks, by_id.get(task_id), histories.get(task_id, []))


def check_finishes(report, task_id, oks, task, events):
    """The 200 answers remote workers got for one task."""
    completes = [a for a in oks if a["action"] == "complete"]
    if len(completes) > 1:
        tokens = sorted({a["token"] for a in completes})
        report.add("duplicated", f"task {task_id}: complete answered 200 {len(completes)} times "
                                 f"(leases {', '.join(tokens)})")
    per_lease = Counter(a["token"] for a in oks)
    for token, times in per_lease.items():
        if times > 1:
            report.add("duplicated", f"task {task_id}: lease {token} finished {times} times")
    terminal = [a for a in oks if a["action"] == "complete" or a.get("status") == "FAILED"]
    if len(terminal) > 1 and len(completes) <= 1:
        report.add("duplicated", f"task {task_id}: {len(terminal)} finishes answered as terminal")
    if task is None:
        return  # reported as lost or never existed; nothing more to compare
    if completes and task["status"] != "COMPLETED":
        report.add("duplicated", f"task {task_id}: complete answered 200, but it ended {task['status']}")
    starts = sum(1 for e in events if e["kind"] == "started")
    if len(oks) > starts:
        report.add("duplicated", f"task {task_id}: {len(oks)} finishes answered 200, {starts} attempts started")


def check_stuck(report, tasks, read_at):
    for task in tasks:
        status = task["status"]
        if status == "INPROGRESS":
            report.add("stuck", f"task {task['id']} ({task['type']}) still INPROGRESS, attempt {task['attempts']}")
        elif status == "QUEUED" and parse_time(task["run_at"]) <= read_at:
            report.add("stuck", f"task {task['id']} ({task['type']}) QUEUED and ready since {task['run_at']}")


def check_attempts(report, tasks, histories):
    for task in tasks:
        if task["attempts"] > task["max_retries"]:
            report.add("over_attempts", f"task {task['id']}: attempts {task['attempts']} > "
                                        f"max_retries {task['max_retries']}")
        used = 0  # attempts used since the last manual retry; a release gives one back
        for event in histories.get(task["id"], []):
            kind = event["kind"]
            used = {"started": used + 1, "released": used - 1, "retried_by_user": 0}.get(kind, used)
            if used > task["max_retries"]:
                report.add("over_attempts", f"task {task['id']}: attempt {used} started, "
                                            f"max_retries {task['max_retries']}")
                break


# The transitions of the state machine: event kind -> (statuses it may follow, status after).
TRANSITIONS = {
    "started": ({"QUEUED"}, "INPROGRESS"),
    "completed": ({"INPROGRESS"}, "COMPLETED"),
    "failed": ({"INPROGRESS"}, "FAILED"),
    "retry_scheduled": ({"INPROGRESS"}, "QUEUED"),
    "lease_expired": ({"INPROGRESS"}, "QUEUED"),
    "released": ({"INPROGRESS"}, "QUEUED"),
    "retried_by_user": ({"FAILED"}, "QUEUED"),
}


def replay(events):
    """Replays a history; returns (status, attempts, problems)."""
    problems = []
    if not events or events[0]["kind"] != "enqueued":
        return None, 0, ["does not start with enqueued"]
    status, attempts = "QUEUED", 0
    for n, event in enumerate(events[1:], start=2):
        kind = event["kind"]
        if kind not in TRANSITIONS:
            problems.append(f"event {n}: unexpected {kind}")
            continue
        before, after = TRANSITIONS[kind]
        if status not in before:
            problems.append(f"event {n}: {kind} while {status}")
        status = after
        if kind == "started":
            attempts += 1
        elif kind == "released":
            attempts = max(attempts - 1, 0)
        elif kind == "retried_by_user":
            attempts = 0
        if kind != "retried_by_user" and event["attempt"] != attempts:
            problems.append(f"event {n}: {kind} says attempt {event['attempt']}, replay counts {attempts}")
    return status, attempts, problems


def check_replay(report, tasks, histories):
    for task in tasks:
        events = histories.get(task["id"])
        if events is None:
            report.add("replay", f"task {task['id']}: no history read")
            continue
        status, attempts, problems = replay(events)
        if status is not None and status != task["status"]:
            problems.append(f"replays to {status}, task is {task['status']}")
        if status is not None and attempts != task["attempts"]:
            problems.append(f"replays to {attempts} attempts, task has {task['attempts']}")
        for problem in problems:
            report.add("replay", f"task {task['id']} ({task['type']}): {problem}")


def remote_attempts(workers):
    """Every lease the remote workers got, with how long it surely lasted:
    dicts of worker, task, token, attempt, sent (when the lease was asked for),
    killed_at, and renewals: (sent, holds_until) of each grant or heartbeat the
    server answered without calling it lost."""
    attempts = {}
    for name, entries, killed_at in workers:
        for entry in entries:
            key = (name, entry.get("task"), entry.get("token"))
            if entry.get("e") == "lease" and "sent" in entry:
                attempts[key] = {"worker": name, "task": entry["task"], "token": entry["token"],
                                 "attempt": entry["attempt"], "sent": entry["sent"],
                                 "killed_at": killed_at,
                                 "renewals": [(entry["sent"], entry["sent"] + entry["lease_ms"] / 1000)]}
            elif entry.get("e") == "beat" and key in attempts and entry.get("code") == 200 \
                    and not entry.get("lost"):
                attempts[key]["renewals"].append((entry["sent"], entry["sent"] + entry["lease_ms"] / 1000))
    return list(attempts.values())


def ended_by_expiry(event):
    """Whether the server ended the attempt because its lease ran out (a retry,
    or a failure when no attempt was left)."""
    return event["kind"] == "lease_expired" or (
        event["kind"] == "failed" and (event.get("message") or "").startswith("lease expired"))


def attempt_span(events, attempt, sent):
    """(started event, ending event or None) of the attempt numbered `attempt`
    that started once its lease was asked for at `sent`; None if not found."""
    for n, event in enumerate(events):
        if event["kind"] == "started" and event["attempt"] == attempt \
                and parse_time(event["at"]) >= sent - CLOCK_SLACK:
            return event, events[n + 1] if n + 1 < len(events) else None
    return None


def check_restart_leases(report, attempts, histories, restarts):
    """Remote leases held across a node restart must survive it unless they lapsed.
    Counts in stats how many were held across one, how many the worker kept, and
    how many lapsed (ended by expiry once they could have run out: abandoned, or
    not renewed while no node answered)."""
    held = kept = lapsed = 0
    for lease in attempts:
        span = attempt_span(histories.get(lease["task"], []), lease["attempt"], lease["sent"])
        if span is None or span[1] is None:
            continue  # not this attempt's history, or still running (judged as stuck)
        started, ended = parse_time(span[0]["at"]), parse_time(span[1]["at"])
        across = [(node, down) for node, down, _up in restarts if started < down < ended]
        if not across:
            continue
        if lease["killed_at"] is not None and lease["killed_at"] <= ended:
            continue  # its worker died: the lease was rightly left to expire
        held += 1
        if not ended_by_expiry(span[1]):
            kept += 1
            continue
        surely_until = max(until for sent, until in lease["renewals"] if sent <= ended)
        if ended >= surely_until - CLOCK_SLACK:
            lapsed += 1
        else:
            node, down = across[-1]
            report.add("restart_lease_lost",
                       f"task {lease['task']} attempt {lease['attempt']} (lease {lease['token']} of "
                       f"{lease['worker']}, alive): {span[1]['kind']} "
                       f"{surely_until - ended:.1f} s before its lease could run out, after {node} "
                       f"went down; {span[1].get('message') or ''}".rstrip("; "))
    report.stats["restart_leases_held"] = held
    report.stats["restart_leases_kept"] = kept
    report.stats["restart_leases_lapsed"] = lapsed


# The events that end an attempt, leaving INPROGRESS.
ENDINGS = {"completed", "failed", "retry_scheduled", "lease_expired", "released"}


def attempt_spans(events):
    """(started at, ended at or None while it runs) of each attempt in a history."""
    spans, started = [], None
    for event in events:
        if event["kind"] == "started":
            started = parse_time(event["at"])
        elif event["kind"] in ENDINGS and started is not None:
            spans.append((started, parse_time(event["at"])))
            started = None
    if started is not None:
        spans.append((started, None))
    return spans


# A start's recorded time is taken before its claim waits for the queue's
# lock, an end's before its commit: a start may be written up to a claim's
# wait before the end that made room for it. Overlaps shorter than this are
# not counted (a broken limit shows as long ones: attempts run for seconds).
LIMIT_SLACK = 0.25


def most_at_once(spans):
    """The most spans open at one moment, an end counted LIMIT_SLACK early."""
    edges = sorted([(start, 1) for start, _ in spans] +
                   [(end - LIMIT_SLACK, -1) for _, end in spans if end is not None])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def check_limits(report, tasks, histories, limits):
    """No limited queue, nor key of one, ever ran more at once than allowed.
    Puts in stats the most that ran at once per limited queue and per key."""
    by_queue, by_key = defaultdict(list), defaultdict(list)
    for task in tasks:
        if task["queue"] not in limits:
            continue
        spans = attempt_spans(histories.get(task["id"], []))
        by_queue[task["queue"]].extend(spans)
        if task.get("concurrency_key") is not None:
            by_key[(task["queue"], task["concurrency_key"])].extend(spans)
    most_queue, most_key = {}, {}
    for queue, spans in by_queue.items():
        most_queue[queue] = most = most_at_once(spans)
        limit = limits[queue].get("concurrency")
        if limit is not None and most > limit:
            report.add("over_limit", f"queue {queue}: {most} tasks ran at once, limit {limit}")
    for (queue, key), spans in by_key.items():
        most_key[f"{queue}/{key}"] = most = most_at_once(spans)
        limit = limits[queue].get("key_limits", {}).get(key, limits[queue].get("per_key_limit"))
        if limit is not None and most > limit:
            report.add("over_limit", f"queue {queue}, key {key}: {most} tasks ran at once, limit {limit}")
    report.stats["most_running_per_queue"] = most_queue
    report.stats["most_running_per_key"] = max(most_key.values(), default=0)


def tally(tasks):
    """Counts shaped like GET /api/counts, from the listing (zeros left out)."""
    shape = {"by_status": Counter(), "by_type": defaultdict(Counter), "by_queue": defaultdict(Counter)}
    for task in tasks:
        shape["by_status"][task["status"]] += 1
        shape["by_type"][task["type"]][task["status"]] += 1
        shape["by_queue"][task["queue"]][task["status"]] += 1
    return shape


def nonzero(mapping):
    return {key: value for key, value in mapping.items() if value}


def check_counts(report, tasks, counts):
    listed = tally(tasks)
    if nonzero(counts.get("by_status", {})) != dict(listed["by_status"]):
        report.add("counts", f"by_status {nonzero(counts.get('by_status', {}))} != listing "
                             f"{dict(listed['by_status'])}")
    for key in ("by_type", "by_queue"):
        served = {name: nonzero(c) for name, c in counts.get(key, {}).items() if nonzero(c)}
        mine = {name: dict(c) for name, c in listed[key].items()}
        for name in sorted(set(served) | set(mine)):
            if served.get(name, {}) != mine.get(name, {}):
                report.add("counts", f"{key}[{name}] {served.get(name, {})} != listing {mine.get(name, {})}")


def stats(ops, tasks, histories, answers):
    """Numbers worth showing that break nothing."""
    outcomes = Counter(op["outcome"] for op in ops)
    re_executed = 0
    for task in tasks:
        starts = sum(1 for e in histories.get(task["id"], []) if e["kind"] == "started")
        if task["status"] == "COMPLETED" and starts > 1:
            re_executed += 1
    late = [a for a in answers if a.get("late")]
    return {
        # A unique-key duplicate names a task another op made: count tasks, not answers.
        "acknowledged": len({i for op in ops if op["outcome"] == "ack" for i in op["ids"]}),
        "ops": dict(outcomes),
        "tasks": len(tasks),
        "statuses": dict(Counter(task["status"] for task in tasks)),
        "re_executed": re_executed,
        "late_answers": len(late),
        "late_answers_200": sum(1 for a in late if a.get("code") == 200),
        "finish_409": sum(1 for a in answers if a.get("code") == 409),
    }
