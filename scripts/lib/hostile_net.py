"""Raw-socket tools for the hostile-client suite (scripts/hostile-clients.py): a client that writes
exactly the bytes it is given and reads exactly what arrives, with every wait bounded; a parser
for the answers; and the kernel's view of the connections (`ss -tan`) and of the server process
(/proc/PID). Only 127.0.0.1.

Every method that waits takes a bound in seconds and raises Failure (the case fails with that
message) or returns what it saw; nothing here blocks longer than it was told.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
# States that mean one side has closed and the other has not: the server's socket in CLOSE-WAIT
# (it never closed after the client did) or in FIN-WAIT-2 (it half-closed and waits forever).
LEFTOVER_STATES = ("FIN-WAIT-2", "CLOSE-WAIT")


class Failure(Exception):
    """A case's expectation did not hold; the message says what was expected and what happened."""


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    raw_head: bytes

    def header(self, name: str) -> str | None:
        """The field's value (several lines joined with ', '), None when absent."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ", ".join(values) if values else None

    def tokens(self, name: str) -> list[str]:
        """A list-valued field (Connection, Cache-Control) as lower-case tokens."""
        value = self.header(name) or ""
        return [token.strip().lower() for token in value.split(",") if token.strip()]

    def describe(self) -> str:
        text = self.body[:160].decode("utf-8", "replace").replace("\n", " ")
        return f"{self.status} {self.reason} (body {text!r})" if text else f"{self.status} {self.reason}"

    def json_error(self) -> str | None:
        """None when the body is the service's error shape {"error":{"code","message","request_id"}}
        and X-Request-ID is present; otherwise what is wrong."""
        problems = []
        if not self.header("X-Request-ID"):
            problems.append("no X-Request-ID header")
        try:
            detail = json.loads(self.body)["error"]
            missing = [key for key in ("code", "message", "request_id")
                       if not isinstance(detail.get(key), str) or not detail.get(key)]
            if missing:
                problems.append(f"error object lacks {', '.join(missing)}")
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"body is not the JSON error shape: {self.body[:120]!r}")
        return "; ".join(problems) or None


@dataclass
class Closed:
    """How a wait for the server to close ended: closed (FIN or RST) after `after` seconds, or
    still open when the bound ran out; `data` is whatever arrived meanwhile."""
    closed: bool
    how: str
    after: float
    data: bytes = b""


def parse_head(head: bytes) -> tuple[str, int, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise Failure(f"malformed status line {lines[0][:80]!r}")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers


@dataclass
class Client:
    """One TCP connection to the server. `port` is the client's own (ephemeral) port, by which the
    suite finds this connection's sockets in `ss`."""
    server_port: int
    connect_timeout: float = 5.0
    send_buffer: int | None = None      # a fixed SO_SNDBUF (no autotuning), set before connecting
    sock: socket.socket = field(init=False)
    port: int = field(init=False)
    buffer: bytes = field(init=False, default=b"")
    eof: str | None = field(init=False, default=None)   # "FIN" or "RST" once the server closed
    write_error: str | None = field(init=False, default=None)   # "RST" or "EPIPE" once a write failed

    def __post_init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.send_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)
        self.sock.settimeout(self.connect_timeout)
        try:
            self.sock.connect((HOST, self.server_port))
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)   # every wait below is a select() with its own bound
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    # Writing ---------------------------------------------------------------------------------

    def send(self, data: bytes, within: float = 5.0) -> None:
        """Writes all of data or raises Failure (the server stopped reading, or closed)."""
        sent, problem = self.send_bounded(data, within)
        if problem:
            raise Failure(f"could write only {sent} of {len(data)} bytes: {problem}")

    def send_bounded(self, data: bytes, within: float, stall: float | None = None) -> tuple[int, str | None]:
        """Writes as much of data as the server takes within `within` seconds, giving up earlier
        when nothing more is taken for `stall` seconds. Returns (bytes written, None) or (bytes
        written, why it stopped). A stop with `write_error` unset means the server stopped reading;
        with it set, the server closed (EPIPE) or reset (RST) the connection."""
        deadline = time.monotonic() + within
        stall = within if stall is None else stall
        view = memoryview(data)
        sent = 0
        while sent < len(data):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return sent, f"not all taken within {within:g}s"
            _, writable, _ = select.select([], [self.sock], [], min(remaining, stall))
            if not writable:
                return sent, f"the server took nothing more for {min(remaining, stall):.1f}s"
            try:
                sent += self.sock.send(view[sent:sent + 262144])
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionResetError:
                self.write_error = "RST"
                return sent, "connection reset by the server"
            except BrokenPipeError:
                self.write_error = "EPIPE"
                return sent, "broken pipe (the server closed)"
        return sent, None

    # Reading ---------------------------------------------------------------------------------

    def _fill(self, deadline: float) -> bool:
        """Reads what is there (waiting until deadline); False on timeout. Sets eof on close."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, _, _ = select.select([self.sock], [], [], remaining)
        if not readable:
            return False
        try:
            chunk = self.sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return True
        except ConnectionResetError:
            self.eof = "RST"
            return False
        if not chunk:
            self.eof = "FIN"
            return False
        self.buffer += chunk
        return True

    def read_response(self, within: float = 5.0, what: str = "an answer", head_only: bool = False) -> Response:
        """The next complete response, or Failure naming what arrived instead (nothing, a close,
        a partial answer). `head_only`: a HEAD answer, or a 1xx, has no body to wait for."""
        deadline = time.monotonic() + within
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill(deadline):
                raise Failure(self._no_response(what, within))
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        version, status, reason, headers = parse_head(head)
        response = Response(status, reason, version, headers, b"", head)
        if head_only or 100 <= status < 200 or status in (204, 304):
            self.buffer = rest
            return response
        coding = (response.header("Transfer-Encoding") or "").lower()
        length = response.header("Content-Length")
        if "chunked" in coding:
            body, rest = self._read_chunked(rest, deadline, what, within)
        elif length is not None:
            size = int(length.split(",")[0])
            self.buffer = rest
            while len(self.buffer) < size:
                if not self._fill(deadline):
                    raise Failure(f"{what}: {status} with Content-Length {size} but only {len(self.buffer)} body "
                                  f"bytes arrived within {within:g}s" + (f" (then {self.eof})" if self.eof else ""))
            body, rest = self.buffer[:size], self.buffer[size:]
        else:
            # Close-delimited: everything until the server closes.
            self.buffer = rest
            while self._fill(deadline):
                pass
            body, rest = self.buffer, b""
        self.buffer = rest
        response.body = body
        return response

    def _read_chunked(self, data: bytes, deadline: float, what: str, within: float) -> tuple[bytes, bytes]:
        self.buffer = data
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                if not self._fill(deadline):
                    raise Failure(f"{what}: chunked answer cut short within {within:g}s")
            line, _, self.buffer = self.buffer.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            while len(self.buffer) < size + 2:
                if not self._fill(deadline):
                    raise Failure(f"{what}: chunked answer cut short within {within:g}s")
            body += self.buffer[:size]
            self.buffer = self.buffer[size + 2:]
            if size == 0:
                return body, self.buffer

    def _no_response(self, what: str, within: float) -> str:
        partial = f" after {len(self.buffer)} bytes {self.buffer[:80]!r}" if self.buffer else ""
        if self.eof == "FIN":
            return f"expected {what}; the server closed the connection without one{partial}"
        if self.eof == "RST":
            return f"expected {what}; the connection was reset without one{partial}"
        return f"expected {what}; nothing complete arrived within {within:g}s{partial}"

    def wait_closed(self, within: float) -> Closed:
        """Waits up to `within` seconds for the server to close (EOF or reset), collecting any bytes
        that arrive before it."""
        start = time.monotonic()
        deadline = start + within
        before = len(self.buffer)
        while not self.eof and time.monotonic() < deadline:
            self._fill(deadline)
        data = self.buffer[before:]
        if self.eof:
            return Closed(True, self.eof, time.monotonic() - start, data)
        return Closed(False, "open", within, data)

    def assert_closed(self, within: float, after_what: str) -> Closed:
        """Failure unless the server closes within `within` seconds (no further bytes expected)."""
        closed = self.wait_closed(within)
        if not closed.closed:
            extra = f"; meanwhile it sent {closed.data[:80]!r}" if closed.data else ""
            raise Failure(f"expected the server to close the connection {after_what}; "
                          f"still open {within:g}s later{extra}")
        return closed

    def is_open(self, within: float) -> bool:
        """True when the server has not closed within `within` seconds (nothing read counts)."""
        return not self.wait_closed(within).closed


# The kernel's view -------------------------------------------------------------------------------

def tcp_sockets() -> list[tuple[str, int, int]]:
    """(state, local port, peer port) of every IPv4/IPv6 TCP socket on 127.0.0.1, from `ss -Htan`."""
    out = subprocess.run(["ss", "-Htan"], capture_output=True, text=True, timeout=10, check=True).stdout
    sockets = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        local, peer = fields[3], fields[4]
        if not local.rsplit(":", 1)[0].strip("[]").endswith("127.0.0.1"):
            continue
        try:
            sockets.append((fields[0], int(local.rsplit(":", 1)[1]), int(peer.rsplit(":", 1)[1])))
        except ValueError:
            continue
    return sockets


def leftovers(server_port: int, client_ports: set[int]) -> list[str]:
    """This case's connections (by their client ports) that the kernel shows half-closed."""
    found = []
    for state, local, peer in tcp_sockets():
        if state not in LEFTOVER_STATES:
            continue
        if local == server_port and peer in client_ports:
            found.append(f"server side :{local}<-:{peer} {state}")
        elif peer == server_port and local in client_ports:
            found.append(f"client side :{local}->:{peer} {state}")
    return found


def wait_no_leftovers(server_port: int, client_ports: set[int], settle: float = 3.0) -> list[str]:
    """Polls until none of this case's sockets is in FIN-WAIT-2 or CLOSE-WAIT; what remains after
    `settle` seconds."""
    deadline = time.monotonic() + settle
    while True:
        found = leftovers(server_port, client_ports)
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def listen_queue(server_port: int) -> int | None:
    """Connections waiting in the listen backlog (Recv-Q of the LISTEN socket)."""
    out = subprocess.run(["ss", "-Htln", f"sport = :{server_port}"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "LISTEN":
            return int(fields[1])
    return None


# The server process ------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> tuple[int, int]:
    """(all open descriptors, sockets among them) of the process."""
    total = sockets = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        total += 1
        with contextlib.suppress(OSError):
            sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return total, sockets
