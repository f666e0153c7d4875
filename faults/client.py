"""A minimal JSON-over-HTTP client for the suite, on http.client.

It tells apart the three ways a call can end, because the checker needs them:
an answer (any status), a request that was never sent (the connection was
refused: nothing can have happened), and a request whose fate is unknown
(sent, then the connection broke or timed out)."""

import http.client
import json
import time


class Unsent(Exception):
    """The connection could not be opened: the server never saw the request."""


class Broken(Exception):
    """The request may have reached the server, but no answer came back."""


class Answer:
    """A status, the parsed JSON body (None when it is not JSON) and the raw body."""

    def __init__(self, status, raw, content_type):
        self.status = status
        self.raw = raw
        self.content_type = content_type
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    @property
    def ok(self):
        return 200 <= self.status < 300

    def detail(self):
        """The `detail` of an error body, or None when the body is not the contract's shape."""
        if isinstance(self.json, dict) and isinstance(self.json.get("detail"), str):
            return self.json["detail"]
        return None

    def __repr__(self):
        return f"Answer({self.status}, {self.raw[:120]!r})"


def call(addr, method, path, body=None, timeout=5.0):
    """Sends one request to `addr` ("host:port") and returns its Answer.

    Raises Unsent when the connection was refused, Broken when the request
    may have been sent but no complete answer came back in `timeout` seconds.
    """
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        try:
            conn.connect()
        except OSError as err:
            raise Unsent(f"{method} {path}: {err}") from err
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"} if data is not None else {}
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as err:
            raise Broken(f"{method} {path}: {err!r}") from err
        return Answer(response.status, raw, response.getheader("content-type", ""))
    finally:
        conn.close()


def get_json(addr, path, timeout=10.0):
    """GET that must answer 200 with JSON; raises RuntimeError otherwise."""
    answer = call(addr, "GET", path, timeout=timeout)
    if answer.status != 200 or answer.json is None:
        raise RuntimeError(f"GET {path} on {addr}: {answer!r}")
    return answer.json


def is_ready(addr, timeout=2.0):
    """Whether the node answers /readyz with 200 (its store answers)."""
    try:
        return call(addr, "GET", "/readyz", timeout=timeout).status == 200
    except (Unsent, Broken):
        return False


def wait_until(predicate, deadline, every=0.1):
    """Polls `predicate` until it is true (returns True) or `deadline`
    (a time.monotonic() value) passes (returns False)."""
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
