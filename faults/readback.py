"""Reading the end state back over HTTP: waiting (with a deadline) until the
queue drains, then every task (cursor pages of 500), each task's history and
the counts, for the checker."""

import time
from concurrent.futures import ThreadPoolExecutor

from . import client


def counts(addr):
    return client.get_json(addr, "/api/counts")


def unfinished(addr):
    """QUEUED + INPROGRESS tasks per the node's counters, or None if it cannot tell."""
    try:
        by_status = counts(addr)["by_status"]
    except (client.Unsent, client.Broken, RuntimeError):
        return None
    return by_status.get("QUEUED", 0) + by_status.get("INPROGRESS", 0)


def finished(addr):
    """COMPLETED + FAILED per the node's counters, or None if it cannot tell."""
    try:
        by_status = counts(addr)["by_status"]
    except (client.Unsent, client.Broken, RuntimeError):
        return None
    return by_status.get("COMPLETED", 0) + by_status.get("FAILED", 0)


def wait_drained(addr, seconds):
    """Waits until nothing is QUEUED or INPROGRESS; returns the seconds it took, or
    None when `seconds` passed first (the checker then names what is stuck)."""
    started = time.monotonic()
    drained = client.wait_until(lambda: unfinished(addr) == 0, started + seconds, every=0.25)
    return time.monotonic() - started if drained else None


def list_tasks(addr):
    """Every task, oldest first, through the cursor."""
    tasks, cursor = [], None
    for _ in range(100_000):  # a bound on pages, far above any run
        path = "/api/tasks?order=oldest&limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = client.get_json(addr, path, timeout=30)
        tasks.extend(page["tasks"])
        cursor = page.get("next_cursor")
        if not cursor:
            return tasks
    raise RuntimeError("more pages than any run makes: the cursor loops")


def history(addr, task_id):
    return client.get_json(addr, f"/api/tasks/{task_id}/events", timeout=30)


def snapshot(addrs):
    """Tasks, histories and counts, read once the system is quiet. Histories are read
    from every node in turn, so on PostgreSQL each node's reads are exercised."""
    read_at = time.time()
    tasks = list_tasks(addrs[0])
    with ThreadPoolExecutor(max_workers=4) as pool:
        events = pool.map(lambda pair: history(addrs[pair[0] % len(addrs)], pair[1]["id"]),
                          enumerate(tasks))
        histories = {task["id"]: evs for task, evs in zip(tasks, events)}
    return {"tasks": tasks, "histories": histories, "counts": counts(addrs[0]),
            "read_at": read_at}
