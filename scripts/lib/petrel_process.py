#!/usr/bin/env python3
"""Local servers for the checks, started one way: a child process in its own session, listening
on 127.0.0.1, working in a directory of its own that holds its log, waited for until it answers
over HTTP, and stopped by its PID (SIGTERM, then SIGKILL).

Petrel is one of them, with a clean environment (a developer's shell, COUNTER_STORE=redis or a
./.env, must not change what a check measures), SQLite under its directory, an API key file, and
the ports it picked read from its log: the public one (HTTP_PORT=0) from its "listening" line, the
admin listener's (ADMIN_PORT=0: /metrics, the fault and readiness switches, /status, /delay) from
its "admin listening" line. So several can run side by side, none on the default 9797.

Python uses Process and Petrel. Shell scripts use the command line, through the wrappers in
scripts/lib/tools.sh:

  petrel_process.py free-port
      prints a TCP port on 127.0.0.1 that nothing listens on now
  petrel_process.py start --dir DIR [--bin PETREL] [--api-key KEY] [--ready PATH] [--set NAME=VALUE]...
  petrel_process.py start --dir DIR --port PORT [--ready PATH] -- COMMAND [ARG]...
      starts Petrel (PETREL_BIN by default), or any server that listens on PORT, waits until
      GET PATH answers 200 (/readiness by default) and prints "PORT PID MS", MS being the
      milliseconds from spawn to that answer. A supervisor stays behind to record the exit status.
      Petrel's admin port is written to DIR/admin-port (not printed: callers parse that line).
  petrel_process.py admin-port --dir DIR
      prints the admin listener's port of the Petrel started in DIR
  petrel_process.py stop --dir DIR [--signal TERM|KILL|...] [--timeout SECONDS]
      signals the process started in DIR, waits until it has exited (SIGKILL after the
      timeout) and exits with its status as a shell reports it (128+N after signal N)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import http1

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on now, for servers that cannot report the port they bound to."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, interval: float = 0.2):
    """Polls condition() until it returns something truthy (returned) or timeout passes (None).
    Connection errors count as 'not yet': the server may still be starting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class ServerError(RuntimeError):
    """A server did not start or did not stop as asked; the message ends with its log."""


class Process:
    """A child process in its own session (a Ctrl-C reaches the caller, which stops it), with
    stdin closed and its output in DIR/NAME.log (NAME-2.log for the second start, and so on)."""

    poll_interval = 0.005   # while waiting for it: fine enough to time a start of tens of ms

    def __init__(self, name: str, argv: list, directory: Path, env: dict | None = None):
        self.name, self.argv, self.env = name, [str(arg) for arg in argv], env
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.dir / f"{name}.log"
        self.port: int | None = None
        self.popen: subprocess.Popen | None = None
        self.starts = 0
        self.spawned_at = 0.0
        self.ready_seconds: float | None = None

    def __repr__(self) -> str:
        return f"{self.name}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def spawn(self) -> None:
        self.starts += 1
        self.log_path = self.dir / (f"{self.name}.log" if self.starts == 1 else f"{self.name}-{self.starts}.log")
        with open(self.log_path, "ab") as log:
            self.spawned_at = time.monotonic()
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          env=self.env, cwd=self.dir, start_new_session=True)

    def start(self, port: int, ready_path: str | None = "/", timeout: float = 30) -> None:
        """Spawns the process, which listens on port, and waits until GET ready_path answers 200."""
        self.port = port
        self.spawn()
        self.wait_ready(ready_path, timeout)

    def wait_for(self, what: str, condition, timeout: float):
        """wait_until(condition), raising ServerError when the process exits first or timeout passes."""
        def alive_and():
            if not self.running:
                raise self.failure(f"exited {self.returncode} before it would {what}")
            return condition()
        result = wait_until(alive_and, timeout, self.poll_interval)
        if not result:
            raise self.failure(f"did not {what} within {timeout:g}s")
        return result

    def wait_ready(self, path: str | None, timeout: float) -> None:
        """Waits until GET path answers 200 (no wait when path is None); sets ready_seconds."""
        if path is not None:
            self.wait_for(f"answer GET {path} with 200",
                          lambda: http1.request("GET", self.url + path, timeout=1).status == 200, timeout)
        self.ready_seconds = time.monotonic() - self.spawned_at

    def send(self, sig: int) -> None:
        if self.running:
            self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.name} (pid {self.pid}) still running after {timeout:g}s") from None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        """Sends sig, then SIGKILL if it is still there after timeout; returns the exit status."""
        if not self.running:
            return self.returncode
        self.send(sig)
        try:
            return self.wait(timeout)
        except TimeoutError:
            self.popen.kill()
            return self.popen.wait()

    def failure(self, what: str) -> ServerError:
        return ServerError(f"{self.name} {what}; last lines of {self.log_path}:\n{log_tail(self.log_path)}")


class Petrel(Process):
    """The service: SQLite under DIR/data, an API key in DIR/api-keys, LOG_FORMAT=json, no drain
    on SIGTERM, plus `settings` (environment variables: APP_ENV, COUNTER_STORE, POD_NAME...).
    Each start runs the binary afresh, with DIR as its working directory."""

    def __init__(self, binary, directory: Path, settings: dict | None = None, api_key: str | None = None,
                 name: str = "petrel"):
        super().__init__(name, [Path(binary).resolve()], directory)
        self.settings = {key: str(value) for key, value in (settings or {}).items()}
        self.api_key = api_key or secrets.token_hex(16)
        self.keys_file = self.dir / "api-keys"
        self.keys_file.write_text(self.api_key + "\n")
        self.keys_file.chmod(0o600)
        # The admin listener's port: 0 until the first start, then the one it got, which a
        # restart keeps (as a restarted container keeps its pod's ports).
        self.admin_port = 0

    @property
    def admin_url(self) -> str:
        return f"http://{HOST}:{self.admin_port}"

    def environment(self, port: int, admin_port: int = 0) -> dict:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HTTP_HOST": HOST, "HTTP_PORT": str(port),
                "ADMIN_PORT": str(admin_port), "LOG_FORMAT": "json", "DATA_DIR": str(self.dir / "data"),
                "API_KEYS_FILE": str(self.keys_file), "SHUTDOWN_DRAIN_SECONDS": "0", **self.settings}

    def start(self, port: int = 0, ready_path: str | None = "/readiness", timeout: float = 30,
              admin_port: int | None = None) -> None:
        """Starts the service on port (0: one it picks) and waits until it logs the port it
        listens on, then until GET ready_path answers 200 (None: listening is enough; ready_seconds
        is measured up to here), then until it logs its admin listener's port. admin_port: 0
        picks one; None keeps the one of the previous start (0 on the first)."""
        self.env = self.environment(port, self.admin_port if admin_port is None else admin_port)
        self.spawn()
        self.port = self.wait_for("log 'listening'", lambda: self._logged_port("listening"), timeout)
        self.wait_ready(ready_path, timeout)
        self.admin_port = self.wait_for("log 'admin listening' (a Petrel without ADMIN_PORT?)",
                                        lambda: self._logged_port("admin listening"), timeout)

    def _logged_port(self, message: str) -> int | None:
        """The port of the first log line whose msg is message, once it is there."""
        needle = json.dumps(message).encode()
        with open(self.log_path, "rb") as log:
            for line in log:
                if needle in line:
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        entry = json.loads(line)
                        if entry.get("msg") == message:
                            return int(entry["port"])
        return None

    def request(self, method: str, path: str, json_body: dict | None = None) -> http1.Response:
        """One request to the public listener, with the API key (writes require it)."""
        return self._request(self.url, method, path, json_body)

    def admin_request(self, method: str, path: str, json_body: dict | None = None) -> http1.Response:
        """One request to the admin listener (/metrics, /faults*, /readiness/disable|enable,
        /status, /delay), with the API key (its switches require it)."""
        return self._request(self.admin_url, method, path, json_body)

    def _request(self, base: str, method: str, path: str, json_body: dict | None) -> http1.Response:
        headers = {"X-API-Key": self.api_key}
        body = b""
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        return http1.request(method, base + path, body, headers)


# The command line: `start` leaves a supervisor behind that records the exit status in DIR, so
# that `stop` can report it although the shell that asked is not the process's parent. Petrel's
# admin port goes to a file too: the line `start` prints is parsed by callers (scripts/bench.sh).
PID_FILE, STATUS_FILE, ADMIN_PORT_FILE = "pid", "status", "admin-port"


def supervise(server: Process, directory: Path, ready: str, report) -> None:
    """In the supervisor: starts the server, reports "ok PORT PID MS" or what went wrong, then
    waits until the server exits and records its status. A caller that is gone by then (a
    Ctrl-C) cannot stop the server: it is stopped here."""
    try:
        server.start(server.port or 0, ready)
    except (ServerError, OSError) as error:
        server.stop(signal.SIGKILL)
        report(str(error))
        return
    (directory / PID_FILE).write_text(f"{server.pid}\n")
    if isinstance(server, Petrel):
        (directory / ADMIN_PORT_FILE).write_text(f"{server.admin_port}\n")
    if not report(f"ok {server.port} {server.pid} {round(server.ready_seconds * 1000)}"):
        server.stop()
    status = server.popen.wait()
    staged = directory / f"{STATUS_FILE}.new"
    staged.write_text(f"{status}\n")
    os.replace(staged, directory / STATUS_FILE)


def command_start(args: argparse.Namespace, command: list) -> int:
    directory = Path(args.dir).resolve()
    if command:
        if args.port is None:
            sys.exit("start: a COMMAND needs --port, the port it listens on")
        server = Process(Path(command[0]).name, command, directory)
    else:
        binary = args.bin or os.environ.get("PETREL_BIN", "")
        if not os.access(binary, os.X_OK):
            sys.exit(f"start: no Petrel binary at {binary!r}: pass --bin or set PETREL_BIN")
        settings = dict(setting.split("=", 1) for setting in args.set)
        server = Petrel(binary, directory, settings, args.api_key)
    server.port = args.port
    for stale in (PID_FILE, STATUS_FILE, ADMIN_PORT_FILE):
        (directory / stale).unlink(missing_ok=True)
    read_end, write_end = os.pipe()
    if os.fork():
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            answer = pipe.read()
        if not answer.startswith("ok "):
            print(answer or f"start: the supervisor of {server.name} died", file=sys.stderr)
            return 1
        print(answer[3:])
        return 0
    # The supervisor: out of the caller's session, and off its output, which a shell's $(...)
    # reads until every writer has closed it.
    os.close(read_end)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    with os.fdopen(write_end, "w") as pipe:
        def report(text: str) -> bool:
            try:
                pipe.write(text)
                pipe.close()
                return True
            except BrokenPipeError:
                return False
        try:
            supervise(server, directory, args.ready, report)
        finally:
            os._exit(0)


def command_admin_port(args: argparse.Namespace) -> int:
    try:
        print(int((Path(args.dir) / ADMIN_PORT_FILE).read_text()))
    except (FileNotFoundError, ValueError):
        print(f"admin-port: no Petrel was started in {args.dir}", file=sys.stderr)
        return 1
    return 0


def command_stop(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    try:
        pid = int((directory / PID_FILE).read_text())
    except (FileNotFoundError, ValueError):
        print(f"stop: nothing was started in {directory}", file=sys.stderr)
        return 1
    status_file = directory / STATUS_FILE
    sig = signal.Signals[f"SIG{args.signal.upper().removeprefix('SIG')}"]
    for current, patience in ((sig, args.timeout), (signal.SIGKILL, 5.0)):
        if not status_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, current)
        if wait_until(status_file.exists, patience, interval=0.01):
            status = int(status_file.read_text())
            return 128 - status if status < 0 else status
        print(f"stop: pid {pid} still running {patience:g}s after {current.name}", file=sys.stderr)
    return 1


def main(argv: list) -> int:
    own, command = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("free-port")
    start = commands.add_parser("start")
    start.add_argument("--dir", required=True)
    start.add_argument("--bin")
    start.add_argument("--port", type=int)
    start.add_argument("--ready", default="/readiness")
    start.add_argument("--api-key")
    start.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    commands.add_parser("admin-port").add_argument("--dir", required=True)
    stop = commands.add_parser("stop")
    stop.add_argument("--dir", required=True)
    stop.add_argument("--signal", default="TERM")
    stop.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args(own)
    if args.command == "free-port":
        print(free_port())
        return 0
    if args.command == "start":
        return command_start(args, command)
    if args.command == "admin-port":
        return command_admin_port(args)
    return command_stop(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
