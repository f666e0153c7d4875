"""Tests of rustqueue_client.py against a real server on a free port.

    python3 -m unittest discover -s examples/clients/python -v

The server is $RUSTQUEUE_BIN, by default target/debug/rustqueue in the repo.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from rustqueue_client import ApiError, Client, Job, LeaseLost, Worker
from example_worker import resize

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
LEASE_MS = 2000  # the server's --lease-secs below
SERVER = {}  # "url", "process", "log"


def wait_until(condition, timeout, what):
    """Polls ``condition`` until it is true; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setUpModule():
    binary = Path(os.environ.get("RUSTQUEUE_BIN", REPO / "target/debug/rustqueue")).resolve()
    if not binary.is_file():
        raise RuntimeError(f"{binary} not found: run `cargo build --bin rustqueue` or set RUSTQUEUE_BIN")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSTQUEUE_")}
    workdir = tempfile.TemporaryDirectory(prefix="rustqueue-py-")
    unittest.addModuleCleanup(workdir.cleanup)
    for _ in range(3):  # another process may take the free port first
        port = free_port()
        log = open(Path(workdir.name) / "server.log", "w+")
        process = subprocess.Popen(
            [str(binary), "serve", "--bind", f"127.0.0.1:{port}", "--database-url", "memory://",
             "--remote-types", "RESIZE,FLAKY", "--demo-speed", "1000", "--lease-secs", str(LEASE_MS // 1000)],
            cwd=workdir.name, env=env, stdout=log, stderr=subprocess.STDOUT)
        unittest.addModuleCleanup(stop_process, process, log)
        client = Client(f"http://127.0.0.1:{port}", timeout=2)
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                client.request("GET", "/healthz")
                SERVER.update(url=f"http://127.0.0.1:{port}", process=process, log=log)
                return
            except OSError:
                time.sleep(0.05)
        exited = process.poll() is not None
        log.seek(0)
        output = log.read()
        stop_process(process, log)
        if not (exited and "in use" in output):
            raise RuntimeError(f"the server did not start:\n{output}")
    raise RuntimeError("no free port")


def stop_process(process, log):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.client = Client(SERVER["url"], timeout=10)
        self.client.request("POST", "/api/clear")

    def start_worker(self, handlers, **options):
        """A worker in this process, stopped (and awaited) at the end of the test."""
        options = {"lease_ms": LEASE_MS, "wait_ms": 1000, **options}
        worker = Worker(self.client, handlers, **options)
        thread = worker.start()

        def stop():
            worker.stop()
            thread.join(timeout=10)
            self.assertFalse(thread.is_alive(), "the worker did not stop")

        self.addCleanup(stop)
        return worker, thread

    def wait_for_status(self, task_id, statuses, timeout=15):
        def reached():
            task = self.client.get_task(task_id)
            return task if task["status"] in statuses else None
        return wait_until(reached, timeout, f"task {task_id} to be {'/'.join(statuses)}")

    def wait_for_event(self, task_id, kind, timeout=15):
        return wait_until(lambda: any(e["kind"] == kind for e in self.client.task_events(task_id)),
                          timeout, f"a {kind} event on task {task_id}")

    def test_enqueue_one_and_a_batch_and_read_back(self):
        original = self.client.enqueue("RESIZE", {"width": 1})
        self.assertEqual((original["type"], original["status"], original["payload"]),
                         ("RESIZE", "QUEUED", {"width": 1}))

        added = self.client.add_task("RESIZE", {"width": 2}, priority=5, max_retries=7, unique_key="img-2")
        self.assertFalse(added["duplicate"])
        self.assertEqual((added["task"]["priority"], added["task"]["max_retries"]), (5, 7))
        again = self.client.add_task("RESIZE", {"width": 99}, unique_key="img-2")
        self.assertTrue(again["duplicate"])
        self.assertEqual(again["task"]["id"], added["task"]["id"])

        batch = self.client.add_tasks([{"type": "RESIZE", "payload": {"width": 3}},
                                       {"type": "FLAKY", "payload": [1, "two"], "queue": "q"}])
        self.assertEqual([entry["task"]["payload"] for entry in batch], [{"width": 3}, [1, "two"]])

        for task in [original, added["task"]] + [entry["task"] for entry in batch]:
            stored = self.client.get_task(task["id"])
            self.assertEqual((stored["status"], stored["payload"]), ("QUEUED", task["payload"]))

        with self.assertRaises(ApiError) as unknown:
            self.client.add_task("NOPE", {})
        self.assertEqual(unknown.exception.status, 422)
        self.assertIn("unknown task type", unknown.exception.detail)
        with self.assertRaises(ApiError) as missing:
            self.client.get_task("no-such-task")
        self.assertEqual(missing.exception.status, 404)

    def test_worker_completes_tasks_with_the_handlers_result(self):
        ids = [self.client.enqueue("RESIZE", {"width": 10})["id"],
               self.client.add_task("RESIZE", {"width": 20})["task"]["id"]]
        ids += [e["task"]["id"] for e in self.client.add_tasks(
            [{"type": "RESIZE", "payload": {"width": w}} for w in (30, 40, 50)])]
        worker, _ = self.start_worker({"RESIZE": resize}, concurrency=2)

        for task_id, width in zip(ids, (10, 20, 30, 40, 50)):
            task = self.wait_for_status(task_id, {"COMPLETED", "FAILED"})
            self.assertEqual(task["status"], "COMPLETED", task["last_error"])
            self.assertEqual((task["result"], task["attempts"]), ({"width": width, "url": None}, 1))
        wait_until(lambda: worker.stats["completed"] == 5, 5, "the worker to count 5 completions")
        kinds = [e["kind"] for e in self.client.task_events(ids[0])]
        self.assertEqual(kinds, ["enqueued", "started", "completed"])

    def test_a_handler_that_throws_is_retried_per_max_retries(self):
        def flaky(job: Job):
            if job.payload["succeed_on"] is not None and job.attempt >= job.payload["succeed_on"]:
                return {"attempt": job.attempt}
            raise RuntimeError(f"boom on attempt {job.attempt}")

        third_time_lucky = self.client.add_task("FLAKY", {"succeed_on": 3}, max_retries=3)["task"]["id"]
        never = self.client.add_task("FLAKY", {"succeed_on": None}, max_retries=2)["task"]["id"]
        worker, _ = self.start_worker({"FLAKY": flaky})

        done = self.wait_for_status(third_time_lucky, {"COMPLETED", "FAILED"})
        self.assertEqual((done["status"], done["attempts"], done["result"]), ("COMPLETED", 3, {"attempt": 3}))
        failed = self.wait_for_status(never, {"COMPLETED", "FAILED"})
        self.assertEqual((failed["status"], failed["attempts"]), ("FAILED", 2))
        self.assertEqual(failed["last_error"], "RuntimeError: boom on attempt 2")
        wait_until(lambda: worker.stats["failed"] == 4, 5, "the worker to count 4 failures")

    def test_a_permanent_failure_ends_failed_after_one_attempt(self):
        task_id = self.client.add_task("RESIZE", {"width": "wide"}, max_retries=5)["task"]["id"]
        self.start_worker({"RESIZE": resize})
        task = self.wait_for_status(task_id, {"COMPLETED", "FAILED"})
        self.assertEqual((task["status"], task["attempts"], task["last_error"]),
                         ("FAILED", 1, "payload needs an integer width"))

    def test_a_stalled_worker_loses_its_lease_and_its_late_complete_gets_409(self):
        first = {}

        def stall_once(job: Job):
            if job.attempt == 1:  # heartbeats are paused: block until the server gives up on us
                first["token"] = job.token
                self.wait_for_event(job.id, "lease_expired")
                return {"width": -1}  # too late: answered 409
            return {"width": job.payload["width"]}

        worker, thread = self.start_worker({"RESIZE": stall_once}, concurrency=1)
        worker.heartbeats_paused.set()
        task_id = self.client.add_task("RESIZE", {"width": 7})["task"]["id"]

        wait_until(lambda: worker.stats["rejected"] == 1, 15, "the late complete to be rejected")
        worker.heartbeats_paused.clear()
        task = self.wait_for_status(task_id, {"COMPLETED", "FAILED"})
        self.assertEqual((task["status"], task["attempts"], task["result"]), ("COMPLETED", 2, {"width": 7}))
        self.assertTrue(thread.is_alive())
        wait_until(lambda: worker.stats["completed"] == 1, 5, "the worker to count the completion")
        self.assertEqual(worker.stats["dropped"], 0)
        with self.assertRaises(LeaseLost) as late:  # the same answer, sent by hand
            self.client.complete(task_id, first["token"], {"width": -1})
        self.assertEqual(late.exception.status, 409)

    def test_a_lease_the_heartbeat_reports_lost_stops_the_attempt(self):
        seen = {}

        def until_lost(job: Job):
            if job.attempt == 1:
                self.wait_for_event(job.id, "lease_expired")
                worker.heartbeats_paused.clear()  # the next heartbeat hears that the lease is gone
                seen["lost"] = job.lost.wait(timeout=10)
                return {"width": -1}  # dropped: never sent
            return {"width": job.payload["width"]}

        worker, _ = self.start_worker({"RESIZE": until_lost}, concurrency=1)
        worker.heartbeats_paused.set()
        task_id = self.client.add_task("RESIZE", {"width": 8})["task"]["id"]

        task = self.wait_for_status(task_id, {"COMPLETED", "FAILED"})
        self.assertEqual((task["status"], task["attempts"], task["result"]), ("COMPLETED", 2, {"width": 8}))
        self.assertTrue(seen["lost"])
        self.assertEqual((worker.stats["dropped"], worker.stats["rejected"]), (1, 0))

    def test_long_polling_hands_over_a_task_enqueued_while_waiting(self):
        started = time.monotonic()
        self.assertEqual(self.client.lease(["RESIZE"], wait_ms=600), [])
        self.assertGreaterEqual(time.monotonic() - started, 0.55, "an empty lease call should wait")

        received = {}

        def note(job: Job):
            received.update(at=time.monotonic(), lease_calls=worker.stats["lease_calls"])
            return {"width": job.payload["width"]}

        worker, thread = self.start_worker({"RESIZE": note}, wait_ms=20_000)
        wait_until(lambda: worker.stats["lease_calls"] == 1, 5, "the first lease call")
        time.sleep(0.3)
        self.assertEqual(worker.stats["lease_calls"], 1, "the lease call should still be waiting")

        enqueued = time.monotonic()
        task_id = self.client.add_task("RESIZE", {"width": 9})["task"]["id"]
        self.wait_for_status(task_id, {"COMPLETED"}, timeout=5)
        self.assertEqual(received["lease_calls"], 1, "the waiting call should have delivered it")
        self.assertLess(received["at"] - enqueued, 2.0)

        stopping = time.monotonic()  # stop() ends the next 20 s wait at once
        worker.stop()
        thread.join(timeout=5)
        self.assertFalse(thread.is_alive())
        self.assertLess(time.monotonic() - stopping, 3.0)

    def test_stop_lets_running_tasks_finish_and_leases_nothing_more(self):
        running, release = threading.Event(), threading.Event()

        def slow(job: Job):
            running.set()
            if not release.wait(timeout=10):
                raise RuntimeError("never released")
            return {"width": job.payload["width"]}

        worker, thread = self.start_worker({"RESIZE": slow}, concurrency=2)
        first = self.client.add_task("RESIZE", {"width": 11})["task"]["id"]
        wait_until(running.is_set, 10, "the handler to start")
        worker.stop()
        later = self.client.add_task("RESIZE", {"width": 12})["task"]["id"]
        self.assertTrue(thread.is_alive(), "run() should wait for the running task")
        release.set()
        thread.join(timeout=10)
        self.assertFalse(thread.is_alive())
        self.assertEqual(self.client.get_task(first)["status"], "COMPLETED")
        self.assertEqual(self.client.get_task(later)["status"], "QUEUED")

    def test_stop_past_the_grace_period_hands_running_tasks_back(self):
        running, unblock = threading.Event(), threading.Event()
        self.addCleanup(unblock.set)

        def stuck(job: Job):
            running.set()
            unblock.wait(timeout=30)
            return "too late"

        worker, thread = self.start_worker({"RESIZE": stuck}, shutdown_grace=0.2, worker_id="py-grace")
        # One attempt in all: a hand-back that used it would leave the task FAILED.
        task_id = self.client.add_task("RESIZE", {"width": 1}, max_retries=1)["task"]["id"]
        wait_until(running.is_set, 10, "the handler to start")
        self.assertEqual(self.client.get_task(task_id)["worker"], "py-grace")
        worker.stop()
        thread.join(timeout=10)
        self.assertFalse(thread.is_alive(), "run() returns after the grace period")
        task = self.client.get_task(task_id)
        self.assertEqual((task["status"], task["attempts"]), ("QUEUED", 0))
        self.assertEqual(self.client.task_events(task_id)[-1]["kind"], "released")
        self.assertEqual(worker.stats["released"], 1)

    def test_release_hands_leases_back_and_names_the_worker(self):
        task_id = self.client.add_task("FLAKY", {"n": 1})["task"]["id"]
        lease = self.client.lease(["FLAKY"], worker_id="py-release", concurrency=2)[0]
        workers = self.client.request("GET", "/api/workers")
        mine = next(w for w in workers if w["id"] == "py-release")
        self.assertEqual((mine["kind"], mine["concurrency"]), ("remote", 2))
        self.assertEqual([r["task_id"] for r in mine["running"]], [task_id])
        answer = self.client.release([(task_id, lease["token"]), ("missing", "1")], worker_id="py-release")
        self.assertEqual(answer, {"released": [task_id], "lost": ["missing"]})
        self.assertEqual(self.client.get_task(task_id)["attempts"], 0)

    def test_from_env_reads_the_cli_variables_then_the_old_names(self):
        saved = {k: os.environ.pop(k, None)
                 for k in ("RUSTQUEUE_SERVER", "RUSTQUEUE_API_TOKEN", "RUSTQUEUE_URL", "RUSTQUEUE_TOKEN")}
        self.addCleanup(lambda: [os.environ.__setitem__(k, v) for k, v in saved.items() if v is not None])
        os.environ.update(RUSTQUEUE_URL="http://old:1", RUSTQUEUE_TOKEN="old")
        old = Client.from_env()
        self.assertEqual((old._host, old._port, old._token), ("old", 1, "old"))
        os.environ.update(RUSTQUEUE_SERVER="http://new:2", RUSTQUEUE_API_TOKEN="new")
        new = Client.from_env()
        self.assertEqual((new._host, new._port, new._token), ("new", 2, "new"))

    def test_example_worker_runs_tasks_and_stops_on_sigterm(self):
        env = {**os.environ, "RUSTQUEUE_SERVER": SERVER["url"], "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen([sys.executable, str(HERE / "example_worker.py")], cwd=HERE, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: process.poll() is None and (process.kill(), process.wait()))
        task_id = self.client.add_task("RESIZE", {"url": "cat.png", "width": 640})["task"]["id"]
        task = self.wait_for_status(task_id, {"COMPLETED", "FAILED"})
        self.assertEqual(task["result"], {"width": 640, "url": "cat.png"})

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
        self.assertEqual(process.returncode, 0, output)
        self.assertIn("SIGTERM: finishing the running tasks", output)


if __name__ == "__main__":
    unittest.main()
