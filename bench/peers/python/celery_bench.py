"""Celery 5 with a Redis broker (the machine's Redis, DB 10, flushed before and
after: this benchmark's own), a prefork worker with one process per core,
late acknowledgement (a task's message is removed only once it has run, so a
worker crash runs it again, as RustQueue does), a prefetch multiplier of 64 for
short tasks, no result backend and no rate limits.

python celery_bench.py [--bulk N --single N --concurrent N --drain N --probes N]
The same module is the worker's app (`celery -A celery_bench worker`).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import redis
from celery import Celery
from celery.signals import worker_ready

REDIS_DB = 10
QUEUE = "rqbench"
LATENCIES = "rqbench:latencies"
PREFETCH = 64
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
SYSTEM = f"Celery {__import__('celery').__version__} (Redis broker, prefork, acks_late)"

app = Celery("celery_bench", broker=BROKER)
app.conf.update(
    task_ignore_result=True,
    task_acks_late=True,
    worker_prefetch_multiplier=PREFETCH,
    worker_disable_rate_limits=True,
    task_default_queue=QUEUE,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
_redis = None


def client():
    """A Redis client for DB 10, one per process."""
    global _redis
    if _redis is None:
        _redis = redis.Redis(port=6379, db=REDIS_DB)
    return _redis


@app.task
def noop(n):
    """Does nothing."""


@app.task
def probe(n):
    """Notes when it starts."""
    client().rpush(LATENCIES, json.dumps({"n": n, "at": time.time()}))


@worker_ready.connect
def note_ready(**_):
    path = os.environ.get("RQBENCH_READY_FILE")
    if path:
        with open(path, "w") as ready:
            ready.write(repr(time.time()))


def emit(durability, workload, n, value, detail):
    record = {"system": SYSTEM, "workload": workload, "n": n, "value": value,
              "detail": detail, "durability": durability}
    print(json.dumps(record), flush=True)


def summary(latencies_ms):
    ordered = sorted(latencies_ms)

    def q(p):
        rank = min(max(int(-(-len(ordered) * p // 1)), 1), len(ordered))
        return ordered[rank - 1]

    return f"p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms, max {q(1.0):.2f} ms", q(0.99)


def durability():
    r = client()
    aof = r.config_get("appendonly").get("appendonly")
    fsync = r.config_get("appendfsync").get("appendfsync")
    save = r.config_get("save").get("save")
    if aof == "yes":
        return f"Redis AOF, appendfsync={fsync}"
    if save:
        return f'Redis in memory, RDB snapshots "{save}": recent jobs lost if Redis stops'
    return "Redis in memory, no AOF or RDB: every job lost if Redis stops"


def timed_sends(total, threads):
    """Sends `total` noop tasks from `threads` threads; returns (tasks/s, latencies in ms)."""
    latencies = []

    def send_range(part):
        with app.producer_or_acquire() as producer:
            for n in range(part, total, threads):
                sent = time.perf_counter()
                noop.apply_async((n,), producer=producer)
                latencies.append((time.perf_counter() - sent) * 1e3)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send_range, range(threads)))
    return total / (time.perf_counter() - started), latencies


def start_worker(ready_file):
    env = dict(os.environ, RQBENCH_READY_FILE=ready_file)
    command = [sys.executable, "-m", "celery", "-A", "celery_bench", "worker",
               "--pool=prefork", f"--concurrency={os.cpu_count()}",
               f"--prefetch-multiplier={PREFETCH}", "-Q", QUEUE, "--without-heartbeat",
               "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    worker = subprocess.Popen(command, env=env, cwd=os.path.dirname(os.path.abspath(__file__)),
                              stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not os.path.exists(ready_file) or not open(ready_file).read():
        if worker.poll() is not None or time.time() > deadline:
            raise RuntimeError("the Celery worker did not start")
        time.sleep(0.01)
    return worker, float(open(ready_file).read())


def stop_worker(worker):
    worker.terminate()
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def tree_peak_mib(pid):
    """The summed VmHWM of a process and its descendants, in MiB."""
    total, pids = 0.0, [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
            with open(f"/proc/{current}/task/{current}/children") as children:
                pids.extend(int(child) for child in children.read().split())
        except FileNotFoundError:
            pass
    return total


def drained(r):
    return r.llen(QUEUE) == 0 and r.hlen("unacked") == 0


def drain(total, out, tmp):
    """Times the worker from ready until every message is acknowledged (after its task ran)."""
    r = client()
    worker, started = start_worker(os.path.join(tmp, "ready-drain"))
    try:
        while True:
            if drained(r):
                seen = time.time()
                time.sleep(0.005)
                if drained(r):  # a message between its pop and its unacked entry is in neither
                    break
            if worker.poll() is not None:
                raise RuntimeError("the Celery worker died")
            time.sleep(0.005)
        seconds = seen - started
        peak = tree_peak_mib(worker.pid)
    finally:
        stop_worker(worker)
    out("drain", total, total / seconds,
        f"prefork x{os.cpu_count()}, prefetch {PREFETCH}, {seconds:.3f} s, polled every 5 ms")
    out("peak_mib", total, peak,
        "VmHWM of the worker and its pool processes, summed (Redis's memory not included)")


def latency(probes, out, tmp):
    r = client()
    worker, _ = start_worker(os.path.join(tmp, "ready-latency"))
    latencies = []
    try:
        for n in range(probes):
            sent = time.time()
            probe.apply_async((n,))
            popped = r.blpop(LATENCIES, timeout=30)
            if popped is None:
                raise RuntimeError(f"probe {n} did not start within 30 s")
            latencies.append((json.loads(popped[1])["at"] - sent) * 1e3)
            time.sleep(0.005)
    finally:
        stop_worker(worker)
    text, p99 = summary(latencies)
    out("latency_idle", probes, p99, f"apply_async to task start; {text}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name, default in [("bulk", 20000), ("single", 2000), ("concurrent", 20000),
                          ("clients", 32), ("drain", 20000), ("probes", 200)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--tmp", default="/tmp")
    args = parser.parse_args()
    r = client()
    kept = durability()

    def out(*fields):
        emit(kept, *fields)

    try:
        r.flushdb()
        rate, lat = timed_sends(args.single, 1)
        out("single", args.single, rate, f"apply_async; {summary(lat)[0]}")
        r.flushdb()
        rate, lat = timed_sends(args.concurrent, args.clients)
        out("concurrent", args.concurrent, rate, f"{args.clients} threads calling apply_async; {summary(lat)[0]}")
        r.flushdb()
        rate, _ = timed_sends(args.bulk, 1)
        out("bulk", args.bulk, rate, "no batch API: apply_async in a loop on one connection")
        if args.drain > args.bulk:
            timed_sends(args.drain - args.bulk, 1)
        drain(args.drain, out, args.tmp)
        r.flushdb()
        latency(args.probes, out, args.tmp)
    finally:
        r.flushdb()


if __name__ == "__main__":
    main()
