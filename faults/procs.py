"""The processes and resources the suite owns: RustQueue nodes, remote worker
processes, a private PostgreSQL cluster, tmpfs mounts and PostgreSQL schemas.

Everything started here is recorded twice: in memory, so `cleanup_all()` can
end it from a `finally` or a signal handler, and in a state folder on disk, so
`scripts/faults` can still clean up (`python3 -m faults.procs --cleanup DIR`)
if this process itself is SIGKILLed. Nothing is ever killed by name."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import client

_children = []  # Popen objects, for cleanup_all
_cleanups = []  # callables run in reverse order by cleanup_all
# scripts/faults makes and removes the state folder; run alone, the runner
# makes its own on first use (not at import: importing must leave no trace).
_state_dir = os.environ.get("FAULTS_STATE_DIR")
OWN_STATE = not _state_dir


def _remember(kind, value):
    """Appends one line to the state folder, so an outside cleanup can find it."""
    global _state_dir
    if _state_dir is None:
        _state_dir = tempfile.mkdtemp(prefix="rq-faults-state-")
    with open(os.path.join(_state_dir, kind), "a") as out:
        out.write(f"{value}\n")


def spawn(args, log_path, **kwargs):
    """Starts a child in its own session (so a Ctrl-C in the terminal reaches
    only this runner, which then stops the children itself)."""
    log = open(log_path, "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
    log.close()
    _children.append(proc)
    _remember("pids", f"{proc.pid} {Path(args[0]).name}")
    return proc


def on_cleanup(action):
    """Registers an action for cleanup_all (run last-registered first)."""
    _cleanups.append(action)
    return action


def release(action):
    """Runs a registered action now (a phase is over) and forgets it."""
    if action in _cleanups:
        _cleanups.remove(action)
        action()


def cleanup_all():
    """SIGKILLs every child still running, then runs the registered actions."""
    for proc in _children:
        if proc.poll() is None:
            proc.kill()
    for proc in _children:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    while _cleanups:
        action = _cleanups.pop()
        try:
            action()
        except Exception as err:  # cleanup goes on whatever one step does
            print(f"faults: cleanup step failed: {err}", file=sys.stderr)


def forget_state():
    """Removes the state folder once everything in it was cleaned up."""
    if OWN_STATE and _state_dir is not None:
        shutil.rmtree(_state_dir, ignore_errors=True)


def free_port():
    """A port nobody listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    """One `rustqueue serve` process, restartable on the same port and store."""

    def __init__(self, binary, name, store_args, settings, log_dir):
        self.binary = binary
        self.name = name
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.args = [binary, "serve", "--bind", self.addr, *store_args, *settings]
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc = None

    def start(self):
        self.proc = spawn(self.args, self.log_path, env={**os.environ, "NO_COLOR": "1"})

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, seconds):
        """True once /readyz answers 200 within `seconds` (False if the process died)."""
        deadline = time.monotonic() + seconds
        return client.wait_until(lambda: not self.alive() or client.is_ready(self.addr), deadline) \
            and self.alive()

    def kill(self):
        """SIGKILL, and wait for the process to be gone."""
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=30)

    def terminate(self, bound):
        """SIGTERM; returns the seconds the process took to exit, or None when it
        was still running after `bound` seconds (it is then SIGKILLed)."""
        if not self.alive():
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=bound)
            return time.monotonic() - started
        except subprocess.TimeoutExpired:
            self.kill()
            return None


def postgres_binaries():
    """The newest /usr/lib/postgresql/<version>/bin (Debian's layout)."""
    root = Path("/usr/lib/postgresql")
    versions = [int(p.name) for p in root.iterdir() if p.name.isdigit()]
    return root / str(max(versions)) / "bin"


def _as_postgres(program, *args):
    """A PostgreSQL program's command line, run as `postgres` when we are root
    (PostgreSQL refuses to run as root)."""
    path = str(postgres_binaries() / program)
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", path, *args]
    return [path, *args]


class PrivatePostgres:
    """A PostgreSQL cluster of our own in a temporary folder on a free port, so
    it can be crashed without touching the machine's shared server."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rq-faults-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        _remember("pgdata", self.data)
        on_cleanup(self.destroy)
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()

    def _run(self, program, *args, timeout=120):
        out = subprocess.run(_as_postgres(program, *args), cwd=self.dir, capture_output=True,
                             text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"{program} {args} failed: {out.stdout}{out.stderr}")

    def _pg_ctl(self, *action):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        log = os.path.join(self.dir, "server.log")
        self._run("pg_ctl", "-D", self.data, "-l", log, "-o", options, "-w", "-t", "60", *action)

    def start(self):
        self._pg_ctl("start")

    def stop_immediately(self):
        """An outage: the server stops at once, cutting every session."""
        self._pg_ctl("stop", "-m", "immediate")

    def crash_restart(self):
        """A crash and restart: sessions are cut, the server replays its WAL."""
        self._pg_ctl("restart", "-m", "immediate")

    def destroy(self):
        subprocess.run(_as_postgres("pg_ctl", "-D", self.data, "stop", "-m", "immediate"),
                       capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


SHARED_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"


def drop_schema(schema):
    """Drops a schema of the shared server (ours: the name is made by fresh_schema)."""
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c",
                    f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
                   capture_output=True, timeout=60, check=True)


def fresh_schema(label):
    """A schema name no one else uses, and the action that drops it (also run by cleanup_all)."""
    schema = f"faults_{label}_{os.getpid()}_{os.urandom(4).hex()}"
    _remember("schemas", schema)
    return schema, on_cleanup(lambda: drop_schema(schema))


def mount_tmpfs(size):
    """A small tmpfs (a disk we can fill), and the action that unmounts it (also run by cleanup_all)."""
    where = tempfile.mkdtemp(prefix="rq-faults-tmpfs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where],
                   check=True, capture_output=True, timeout=30)
    _remember("mounts", where)
    return where, on_cleanup(lambda: unmount(where))


def unmount(where):
    """Unmounts (lazily if something still holds a file there) and removes the folder."""
    if os.path.ismount(where):
        out = subprocess.run(["umount", where], capture_output=True, timeout=30)
        if out.returncode != 0:
            subprocess.run(["umount", "-l", where], capture_output=True, timeout=30)
    shutil.rmtree(where, ignore_errors=True)


def _lines(state, kind):
    path = os.path.join(state, kind)
    return open(path).read().split("\n") if os.path.exists(path) else []


def cleanup_from_state(state):
    """The outside cleanup: what a SIGKILLed runner left behind, from its state folder.
    A pid is only killed while it still runs one of our programs (pids are reused)."""
    for line in filter(None, _lines(state, "pids")):
        pid, program = line.split(" ", 1)
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if cmdline and Path(cmdline[0].decode(errors="replace")).name == program:
            os.kill(int(pid), signal.SIGKILL)
    for data in filter(None, _lines(state, "pgdata")):
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(_as_postgres("pg_ctl", "-D", data, "stop", "-m", "immediate"),
                           capture_output=True, timeout=60)
        shutil.rmtree(os.path.dirname(data), ignore_errors=True)
    for where in filter(None, _lines(state, "mounts")):
        unmount(where)
    for schema in filter(None, _lines(state, "schemas")):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c",
                        f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'], capture_output=True, timeout=60)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--cleanup":
        cleanup_from_state(sys.argv[2])
    else:
        sys.exit("usage: python3 -m faults.procs --cleanup STATE_DIR")
