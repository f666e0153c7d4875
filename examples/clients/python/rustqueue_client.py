"""A small RustQueue client and remote worker, standard library only.

Copy this file next to your code. Two parts:

* ``Client``: enqueue tasks (one or a batch), read them back, and the calls
  of the worker protocol (lease, heartbeat, complete, fail, release).
* ``Worker``: runs handlers for some task types. It leases with long polling
  (``wait_ms``), renews the leases it holds every third of ``lease_ms`` from a
  heartbeat thread, completes each task with its handler's result or fails it
  with the error (``PermanentError``: no retry), and stops gracefully: no new
  leases, the running tasks get ``shutdown_grace`` seconds to finish, and the
  rest are handed back (released) so the restart uses up no attempt. Every
  call names the worker (``worker_id``, by default ``<hostname>:<pid>``).

    client = Client.from_env()         # RUSTQUEUE_SERVER, RUSTQUEUE_API_TOKEN
    worker = Worker(client, {"RESIZE": lambda job: {"width": job.payload["width"]}})
    worker.run_until_signal()          # Ctrl-C or SIGTERM: finish, then return

Handlers run in threads and get a ``Job``. When the server says a lease is
gone (it expired and the task went back to the queue, or the task was
deleted), ``job.lost`` is set and whatever the handler returns is dropped:
long handlers should check it now and then and give up early.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

log = logging.getLogger("rustqueue")


class ApiError(Exception):
    """The server answered with an error status; ``detail`` is its message."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class LeaseLost(ApiError):
    """409: the lease is no longer held (expired and rescued, or the task was deleted)."""


class Aborted(Exception):
    """The request was cancelled with ``Abort.set()``."""


class PermanentError(Exception):
    """Raise from a handler when retrying cannot help: the task ends FAILED at once."""


class Abort:
    """Cancels an in-flight request from another thread (ends a long poll at once).

    Closing the connection makes the server drop the waiting lease call
    without handing out tasks.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._conn: Optional[http.client.HTTPConnection] = None
        self.is_set = False

    def set(self) -> None:
        with self._lock:
            self.is_set = True
            if self._conn is not None and self._conn.sock is not None:
                try:
                    self._conn.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _attach(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if self.is_set:
                raise Aborted()
            self._conn = conn


def default_worker_id() -> str:
    """``<hostname>:<pid>``, what ``rustqueue worker`` calls itself too."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Client:
    """The HTTP API. Every method raises ``ApiError`` on a 4xx/5xx answer and
    ``OSError`` when the server cannot be reached."""

    @classmethod
    def from_env(cls, **options: Any) -> "Client":
        """A client for the server the ``rustqueue`` CLI would use:
        ``RUSTQUEUE_SERVER`` (default ``http://127.0.0.1:8000``) and
        ``RUSTQUEUE_API_TOKEN``. The older ``RUSTQUEUE_URL`` and
        ``RUSTQUEUE_TOKEN`` are still read when those are unset (deprecated)."""
        url = os.environ.get("RUSTQUEUE_SERVER") or os.environ.get("RUSTQUEUE_URL") or "http://127.0.0.1:8000"
        token = os.environ.get("RUSTQUEUE_API_TOKEN") or os.environ.get("RUSTQUEUE_TOKEN")
        return cls(url, token=token, **options)

    def __init__(self, base_url: str = "http://127.0.0.1:8000", token: Optional[str] = None,
                 timeout: float = 30.0):
        url = urllib.parse.urlsplit(base_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port
        self._prefix = url.path.rstrip("/")
        self._token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None, *,
                timeout: Optional[float] = None, abort: Optional[Abort] = None) -> Any:
        """One call; returns the decoded JSON answer."""
        conn_class = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = conn_class(self._host, self._port, timeout=timeout or self.timeout)
        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if self._token:
            headers["authorization"] = f"Bearer {self._token}"
        try:
            conn.connect()
            if abort is not None:
                abort._attach(conn)
            conn.request(method, self._prefix + path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException):
            if abort is not None and abort.is_set:
                raise Aborted() from None
            raise
        finally:
            conn.close()
        try:
            answer = json.loads(text) if text else None
        except ValueError:  # not JSON: fine for an error (a proxy's page), not for an answer
            if response.status < 400:
                raise
            answer = None
        if response.status >= 400:
            detail = answer.get("detail", text) if isinstance(answer, dict) else text
            error = LeaseLost if response.status == 409 else ApiError
            raise error(response.status, detail)
        return answer

    # --- producers ---------------------------------------------------------

    def enqueue(self, t_type: str, payload: Any) -> dict:
        """The original route: ``POST /api/enqueue``. Returns the task."""
        return self.request("POST", "/api/enqueue", {"payload": payload, "t_type": t_type})["task"]

    def add_task(self, task_type: str, payload: Any = None, **options: Any) -> dict:
        """``POST /api/tasks``; options: queue, priority, max_retries, run_at,
        delay_ms, unique_key, timeout_ms. Returns ``{"task", "duplicate"}``."""
        return self.request("POST", "/api/tasks", {"type": task_type, "payload": payload, **options})

    def add_tasks(self, tasks: Iterable[dict]) -> list:
        """``POST /api/tasks/batch``: up to 10,000 tasks (each like ``add_task``'s
        body: ``{"type", "payload", ...}``), all or nothing. Returns
        ``[{"task", "duplicate"}, ...]`` in order."""
        return self.request("POST", "/api/tasks/batch", {"tasks": list(tasks)})["tasks"]

    def get_task(self, task_id: str) -> dict:
        return self.request("GET", f"/api/tasks/{urllib.parse.quote(task_id)}")

    def task_events(self, task_id: str) -> list:
        """The task's history, oldest first."""
        return self.request("GET", f"/api/tasks/{urllib.parse.quote(task_id)}/events")

    # --- the worker protocol -------------------------------------------------

    def lease(self, types: list, limit: int = 1, lease_ms: Optional[int] = None,
              wait_ms: int = 0, abort: Optional[Abort] = None, worker_id: Optional[str] = None,
              concurrency: Optional[int] = None) -> list:
        """Lease up to ``limit`` ready tasks; with ``wait_ms`` (at most 60000)
        the server holds the call until work arrives. Returns
        ``[{"task", "token", "expires_at"}, ...]``, possibly empty."""
        body: dict = {"types": types, "limit": limit, "wait_ms": wait_ms}
        if lease_ms is not None:
            body["lease_ms"] = lease_ms
        if worker_id is not None:
            body.update(worker_id=worker_id, hostname=socket.gethostname(), pid=os.getpid())
        if concurrency is not None:
            body["concurrency"] = concurrency
        answer = self.request("POST", "/api/worker/lease", body,
                              timeout=self.timeout + wait_ms / 1000, abort=abort)
        return answer["leases"]

    def heartbeat(self, leases: list, lease_ms: Optional[int] = None,
                  worker_id: Optional[str] = None) -> list:
        """Renew ``[(task_id, token), ...]``; returns the ids whose lease is gone."""
        body: dict = {"leases": [{"task_id": i, "token": t} for i, t in leases]}
        if lease_ms is not None:
            body["lease_ms"] = lease_ms
        if worker_id is not None:
            body["worker_id"] = worker_id
        return self.request("POST", "/api/worker/heartbeat", body)["lost"]

    def complete(self, task_id: str, token: str, result: Any = None,
                 worker_id: Optional[str] = None) -> str:
        """Returns ``"COMPLETED"``; ``LeaseLost`` when the lease is gone."""
        body = {"task_id": task_id, "token": token, "result": result}
        if worker_id is not None:
            body["worker_id"] = worker_id
        return self.request("POST", "/api/worker/complete", body)["status"]

    def fail(self, task_id: str, token: str, error: str, permanent: bool = False,
             worker_id: Optional[str] = None) -> str:
        """Returns ``"QUEUED"`` (it will be retried) or ``"FAILED"``; ``LeaseLost`` when the lease is gone."""
        body = {"task_id": task_id, "token": token, "error": error, "permanent": permanent}
        if worker_id is not None:
            body["worker_id"] = worker_id
        return self.request("POST", "/api/worker/fail", body)["status"]

    def release(self, leases: list, delay_ms: Optional[int] = None,
                worker_id: Optional[str] = None) -> dict:
        """Hand ``[(task_id, token), ...]`` (up to 500) back without using their
        attempts: each task is ``QUEUED`` again (after ``delay_ms``). Returns
        ``{"released": [ids], "lost": [ids]}``."""
        body: dict = {"leases": [{"task_id": i, "token": t} for i, t in leases]}
        if delay_ms is not None:
            body["delay_ms"] = delay_ms
        if worker_id is not None:
            body["worker_id"] = worker_id
        return self.request("POST", "/api/worker/release", body)


@dataclass
class Job:
    """One leased attempt, as a handler sees it."""

    task: dict
    token: str
    lost: threading.Event = field(default_factory=threading.Event)

    @property
    def id(self) -> str:
        return self.task["id"]

    @property
    def type(self) -> str:
        return self.task["type"]

    @property
    def payload(self) -> Any:
        return self.task["payload"]

    @property
    def attempt(self) -> int:
        return self.task["attempts"]


Handler = Callable[[Job], Any]


class Worker:
    """Leases tasks of the handlers' types and runs up to ``concurrency`` at once."""

    def __init__(self, client: Client, handlers: dict[str, Handler], *, concurrency: int = 4,
                 lease_ms: int = 30_000, wait_ms: int = 20_000, worker_id: Optional[str] = None,
                 shutdown_grace: float = 30.0):
        if not handlers:
            raise ValueError("a worker needs at least one handler")
        if not 1 <= concurrency <= 500:
            raise ValueError("concurrency must be 1 to 500")
        self.client = client
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        self.lease_ms = lease_ms
        self.wait_ms = wait_ms
        self.worker_id = worker_id or default_worker_id()
        # After stop(), how long running tasks get before their leases are handed back.
        self.shutdown_grace = shutdown_grace
        # Counters, for logs and tests.
        # "dropped": the lease was known lost, no answer sent; "rejected": the answer got 409;
        # "released": handed back at shutdown, past the grace period.
        self.stats = {"lease_calls": 0, "leased": 0, "completed": 0, "failed": 0, "dropped": 0, "rejected": 0,
                      "released": 0}
        # Set to skip heartbeats (tests use it to simulate a stalled worker).
        self.heartbeats_paused = threading.Event()
        self._jobs: dict = {}  # (task id, token) -> Job, the attempts running
        self._threads: list = []
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._abort: Optional[Abort] = None

    # --- running -------------------------------------------------------------

    def run(self) -> None:
        """Lease and run tasks until ``stop()``; returns once the running tasks
        finished, or, past ``shutdown_grace``, once the rest were handed back."""
        beats_done = threading.Event()
        beats = threading.Thread(target=self._heartbeats, args=(beats_done,),
                                 name="rustqueue-heartbeat", daemon=True)
        beats.start()
        pause = 0.0
        try:
            while True:
                with self._cond:
                    while not self._stopping.is_set() and len(self._jobs) >= self.concurrency:
                        self._cond.wait()
                    if self._stopping.is_set():
                        break
                    free = self.concurrency - len(self._jobs)
                    self._abort = abort = Abort()
                    self.stats["lease_calls"] += 1
                try:
                    leases = self.client.lease(list(self.handlers), limit=free, lease_ms=self.lease_ms,
                                               wait_ms=self.wait_ms, abort=abort, worker_id=self.worker_id,
                                               concurrency=self.concurrency)
                    pause = 0.0
                except Aborted:
                    break
                except (ApiError, OSError, http.client.HTTPException, ValueError) as err:
                    pause = min(max(pause * 2, 0.5), 10.0)
                    log.warning("lease failed (%s); again in %.1f s", err, pause)
                    self._stopping.wait(pause)
                    continue
                for lease in leases:  # leased tasks run even when stopping: they are ours now
                    self._start(Job(lease["task"], lease["token"]))
        finally:
            with self._cond:
                threads = list(self._threads)
            deadline = time.monotonic() + self.shutdown_grace
            for thread in threads:
                thread.join(max(deadline - time.monotonic(), 0))
            self._release_running()
            beats_done.set()
            beats.join()

    def start(self) -> threading.Thread:
        """``run()`` in a background thread."""
        thread = threading.Thread(target=self.run, name="rustqueue-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Graceful stop: lease nothing more (a waiting lease call ends at once);
        the running tasks get ``shutdown_grace`` seconds to finish, the rest are
        handed back, and ``run()`` returns."""
        with self._cond:
            self._stopping.set()
            if self._abort is not None:
                self._abort.set()
            self._cond.notify_all()

    def run_until_signal(self) -> None:
        """``run()`` until SIGINT or SIGTERM, then stop gracefully; a second signal quits at once."""
        def on_signal(signum: int, _frame: Any) -> None:
            log.info("%s: finishing the running tasks (again to quit now)", signal.Signals(signum).name)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self.stop()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        thread = self.start()
        while thread.is_alive():  # the main thread waits here so that it can take signals
            thread.join(0.5)

    def _release_running(self) -> None:
        """Hands back the tasks still running past the grace period: their
        attempts do not count, and their handlers' outcomes are dropped
        (``job.lost`` is set, so long handlers can give up)."""
        with self._cond:
            running = [job for job in self._jobs.values() if not job.lost.is_set()]
            for job in running:
                job.lost.set()
        for start in range(0, len(running), 500):
            batch = running[start:start + 500]
            try:
                answer = self.client.release([(job.id, job.token) for job in batch], worker_id=self.worker_id)
            except (ApiError, OSError, http.client.HTTPException) as err:
                log.warning("could not hand %d tasks back (%s); they run again when their leases expire",
                            len(batch), err)
                continue
            log.info("handed %d running tasks back to the server", len(answer["released"]))
            with self._cond:
                self.stats["released"] += len(answer["released"])

    # --- one attempt -----------------------------------------------------------

    def _start(self, job: Job) -> None:
        with self._cond:
            for held in self._jobs.values():
                if held.id == job.id:  # the task was leased again: our older lease is gone
                    held.lost.set()
            self._jobs[(job.id, job.token)] = job
            self.stats["leased"] += 1
            thread = threading.Thread(target=self._run_job, args=(job,), name=f"rustqueue-{job.id}", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run_job(self, job: Job) -> None:
        try:
            try:
                outcome = ("complete", self.handlers[job.type](job))
            except PermanentError as err:
                outcome = ("fail", str(err) or type(err).__name__, True)
            except Exception as err:  # any other error: the retry policy decides
                outcome = ("fail", f"{type(err).__name__}: {err}", False)
            self._report(job, outcome)
        finally:
            with self._cond:
                self._jobs.pop((job.id, job.token), None)
                self._cond.notify_all()

    def _report(self, job: Job, outcome: tuple) -> None:
        if job.lost.is_set():
            log.warning("task %s: lease lost, dropping attempt %d", job.id, job.attempt)
            self._count("dropped")
            return
        for delay in (0.5, 1.0, 2.0, None):  # retry transient errors a few times
            try:
                if outcome[0] == "complete":
                    self.client.complete(job.id, job.token, outcome[1], worker_id=self.worker_id)
                    self._count("completed")
                else:
                    status = self.client.fail(job.id, job.token, outcome[1], permanent=outcome[2],
                                              worker_id=self.worker_id)
                    log.info("task %s attempt %d failed (%s): %s", job.id, job.attempt, status, outcome[1])
                    self._count("failed")
                return
            except LeaseLost:
                log.warning("task %s: lease lost before the answer (409), attempt %d dropped", job.id, job.attempt)
                self._count("rejected")
                return
            except (ApiError, OSError, http.client.HTTPException) as err:
                transient = not isinstance(err, ApiError) or err.status >= 500
                if not transient or delay is None:
                    log.error("task %s: could not record the outcome (%s); the lease will expire", job.id, err)
                    return
                time.sleep(delay)

    def _count(self, name: str) -> None:
        with self._cond:
            self.stats[name] += 1

    # --- heartbeats -------------------------------------------------------------

    def _heartbeats(self, done: threading.Event) -> None:
        while not done.wait(self.lease_ms / 3000):
            if self.heartbeats_paused.is_set():
                continue
            with self._cond:
                held = [job for job in self._jobs.values() if not job.lost.is_set()]
            if not held:
                continue
            try:
                lost = set(self.client.heartbeat([(job.id, job.token) for job in held], self.lease_ms,
                                                 worker_id=self.worker_id))
            except (ApiError, OSError, http.client.HTTPException) as err:
                log.warning("heartbeat failed (%s); again in %.1f s", err, self.lease_ms / 3000)
                continue
            for job in held:
                if job.id in lost:
                    log.warning("task %s: lease lost, stopping attempt %d", job.id, job.attempt)
                    job.lost.set()
