"""The hostile-client cases (issue 19), one function each, run by scripts/hostile-clients.py.

A case gets a Context (the server, its settings, a factory for raw connections), returns a short
account of what it measured, or raises Failure saying what was expected and what happened. The
runner closes the case's connections and then checks that the kernel shows none of them
half-closed (FIN-WAIT-2 or CLOSE-WAIT), so the cases themselves only check answers and closes.
"""

from __future__ import annotations

import email.utils
import json
import re
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hostile_net import Client, Failure, Response, cpu_seconds, listen_queue, open_fds, rss_mib

# The settings of the server the cases run against: short timeouts so that the cases are quick.
HEADER_TIMEOUT, BODY_TIMEOUT, IDLE_TIMEOUT = 2, 2, 3
# Above the early-answer case's 2,000,000-byte body, so that the 401 there does not depend on
# whether the body limit or the key check runs first; the 413 cases send more than this.
MAX_BODY_BYTES = 4 * 1024 * 1024
MAIN_SETTINGS = {
    "HTTP_HEADER_TIMEOUT_SECONDS": HEADER_TIMEOUT,
    "HTTP_BODY_TIMEOUT_SECONDS": BODY_TIMEOUT,
    "HTTP_IDLE_TIMEOUT_SECONDS": IDLE_TIMEOUT,
    "MAX_BODY_BYTES": MAX_BODY_BYTES,
    "COUNTER_STORE": "sqlite",
    "CITY_STORE": "sqlite",
}
# The connection-cap case's server: a cap, and timeouts long enough that idle connections stay.
CONNECTION_CAP = 20
CAPPED_SETTINGS = {
    **MAIN_SETTINGS,
    "HTTP_MAX_CONNECTIONS": CONNECTION_CAP,
    "HTTP_HEADER_TIMEOUT_SECONDS": 60,
    "HTTP_BODY_TIMEOUT_SECONDS": 60,
    "HTTP_IDLE_TIMEOUT_SECONDS": 60,
}

# How long the server may take to close after it has decided to (timers fire on an event loop).
CLOSE_SLACK = 1.0
# How much earlier than its timeout a close counts as "not the timer".
EARLY_MARGIN = 0.5


@dataclass
class Context:
    server: object                       # petrel_process.Petrel, started
    clients: list[Client] = field(default_factory=list)
    ports: set[int] = field(default_factory=set)          # clients' own ports, on the public listener
    admin_ports: set[int] = field(default_factory=set)    # the same on the admin listener

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def admin_port(self) -> int:
        """The admin listener: /metrics, /delay, /status and the switches (404 on the public port)."""
        return self.server.admin_port

    @property
    def key(self) -> str:
        return self.server.api_key

    def connect(self, send_buffer: int | None = None, admin: bool = False) -> Client:
        client = Client(self.admin_port if admin else self.port, send_buffer=send_buffer)
        self.clients.append(client)
        (self.admin_ports if admin else self.ports).add(client.port)
        return client

    def close_all(self) -> None:
        for client in self.clients:
            client.close()

    def get(self, path: str, within: float = 5.0, headers: list | None = None, admin: bool = False) -> Response:
        """GET on a fresh connection (Connection: close), for looking at the server from outside;
        admin: on the admin listener."""
        client = self.connect(admin=admin)
        try:
            client.send(request("GET", path, [("Connection", "close"), *(headers or [])]))
            return client.read_response(within, f"an answer to GET {path}")
        finally:
            client.close()


def request(method: str, target: str, headers: list | None = None, body: bytes = b"",
            version: str = "HTTP/1.1", host: bool = True) -> bytes:
    lines = [f"{method} {target} {version}"]
    if host:
        lines.append("Host: 127.0.0.1")
    lines += [f"{name}: {value}" for name, value in headers or []]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def expect_status(response: Response, status: int | tuple, what: str) -> None:
    wanted = status if isinstance(status, tuple) else (status,)
    if response.status not in wanted:
        raise Failure(f"{what}: expected {' or '.join(map(str, wanted))}, got {response.describe()}")


def early_answer(data: bytes) -> str:
    """What the server sent before it closed (a 408 is allowed there), for a case's report."""
    if not data:
        return "no answer"
    first = data.split(b"\r\n", 1)[0].decode("latin-1")
    return f"answer {first!r}"


def check_early_answer(data: bytes, allowed: tuple = (408,)) -> None:
    if not data:
        return
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    if not match or int(match.group(1)) not in allowed:
        raise Failure(f"expected no answer or {allowed} before the close, got {data[:100]!r}")


# 1. Slow head ------------------------------------------------------------------------------------

def slow_head(ctx: Context) -> str:
    """A request head dribbled a byte every 0.5 s must be cut off by the header timeout."""
    client = ctx.connect()
    start = time.monotonic()
    head = request("GET", "/hello", [("X-Slow", "a" * 400)])
    limit, give_up = HEADER_TIMEOUT + CLOSE_SLACK, HEADER_TIMEOUT + 4.0
    sent = 0
    while sent < len(head) and time.monotonic() - start < give_up:
        taken, problem = client.send_bounded(head[sent:sent + 1], within=1.0)
        sent += taken
        if client.write_error:          # the server closed: a write after its FIN fails
            client.eof = client.eof or client.write_error
            break
        if client.wait_closed(0.5).closed:
            break
    elapsed = time.monotonic() - start
    if not client.eof:
        raise Failure(f"expected the server to close within {limit:g}s of a head arriving a byte every 0.5 s "
                      f"(HTTP_HEADER_TIMEOUT_SECONDS={HEADER_TIMEOUT}); still open after {elapsed:.1f}s "
                      f"and {sent} bytes of head")
    check_early_answer(client.buffer)
    if elapsed > limit:
        raise Failure(f"expected a close within {limit:g}s (header timeout + {CLOSE_SLACK:g}s); "
                      f"closed only after {elapsed:.2f}s")
    if elapsed < HEADER_TIMEOUT - EARLY_MARGIN:
        raise Failure(f"closed after {elapsed:.2f}s, before the header timeout of {HEADER_TIMEOUT}s, so not by it "
                      f"({early_answer(client.buffer)})")
    return f"closed ({client.eof}) {elapsed:.2f}s after connect, {sent} head bytes in, {early_answer(client.buffer)}"


# 2. Slow body ------------------------------------------------------------------------------------

def slow_body(ctx: Context) -> str:
    """A body arriving a byte every 0.5 s is read (the body timeout bounds a pause, not the whole
    body); a pause longer than HTTP_BODY_TIMEOUT_SECONDS ends the connection."""
    client = ctx.connect()
    client.send(request("PUT", "/cities/Oslo", [("X-API-Key", ctx.key), ("Content-Type", "application/json"),
                                                ("Content-Length", "100")]))
    start = time.monotonic()
    body = b'{"population":  '
    dribble = BODY_TIMEOUT + 1.0          # longer than the timeout, every pause well under it
    sent = 0
    last_byte = start
    while time.monotonic() - start < dribble:
        sent += client.send_bounded(body[sent:sent + 1], within=1.0)[0]
        last_byte = time.monotonic()
        closed = client.wait_closed(0.5)
        if client.write_error or closed.closed:
            raise Failure(f"closed {time.monotonic() - start:.1f}s into a body arriving a byte every 0.5 s "
                          f"({sent} of 100 bytes; HTTP_BODY_TIMEOUT_SECONDS={BODY_TIMEOUT} is the longest pause, "
                          f"not a deadline for the whole body); {early_answer(client.buffer)}")
    closed = client.wait_closed(BODY_TIMEOUT + 3.0)
    pause = time.monotonic() - last_byte   # the pause began with the last byte, not with this wait
    if not closed.closed:
        raise Failure(f"expected a close within {BODY_TIMEOUT + CLOSE_SLACK:g}s of the body pausing "
                      f"(HTTP_BODY_TIMEOUT_SECONDS={BODY_TIMEOUT}); still open {pause:.1f}s "
                      f"into the pause ({sent} of 100 body bytes sent)")
    check_early_answer(client.buffer)
    if pause > BODY_TIMEOUT + CLOSE_SLACK:
        raise Failure(f"expected a close within {BODY_TIMEOUT + CLOSE_SLACK:g}s of the pause; it took {pause:.2f}s")
    if pause < BODY_TIMEOUT - EARLY_MARGIN:
        raise Failure(f"closed {pause:.2f}s into the pause, before the body timeout of {BODY_TIMEOUT}s")
    return (f"{sent} body bytes over {last_byte - start:.1f}s kept it open; closed ({closed.how}) "
            f"{pause:.2f}s into the pause, {early_answer(client.buffer)}")


# 3. Idle keep-alive ------------------------------------------------------------------------------

def idle_keep_alive(ctx: Context) -> str:
    client = ctx.connect()
    client.send(request("GET", "/hello"))
    expect_status(client.read_response(5, "an answer to GET /hello"), 200, "GET /hello")
    closed = client.wait_closed(IDLE_TIMEOUT + 3.0)
    if not closed.closed:
        raise Failure(f"expected the idle connection closed about {IDLE_TIMEOUT}s after the answer "
                      f"(HTTP_IDLE_TIMEOUT_SECONDS={IDLE_TIMEOUT}); still open {closed.after:.1f}s later")
    check_early_answer(closed.data)
    if closed.after < IDLE_TIMEOUT - EARLY_MARGIN:
        raise Failure(f"closed {closed.after:.2f}s after the answer, before the idle timeout of {IDLE_TIMEOUT}s")
    if closed.after > IDLE_TIMEOUT + CLOSE_SLACK:
        raise Failure(f"expected a close within {IDLE_TIMEOUT + CLOSE_SLACK:g}s of the answer; "
                      f"it took {closed.after:.2f}s")
    return f"200, then closed ({closed.how}) {closed.after:.2f}s after the answer"


# 4. Early answer while the body is still coming --------------------------------------------------

EARLY_BODY_BYTES = 2_000_000
EARLY_CASE_SECONDS = 10.0
# The client's send buffer, fixed: loopback buffers that autotune to megabytes would otherwise
# swallow the whole body although the server has stopped reading.
EARLY_SEND_BUFFER = 65536


def early_answer_whole_body(ctx: Context, with_key: bool, status: int, body_bytes: int) -> str:
    """A client that writes its whole body before reading (urllib, HttpURLConnection) must get the
    early answer, and then the connection must end: the server reads and discards the rest, or
    closes completely (not half-closed, which leaves the client's writes hanging)."""
    client = ctx.connect(send_buffer=EARLY_SEND_BUFFER)
    start = time.monotonic()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(body_bytes))]
    if with_key:
        headers.append(("X-API-Key", ctx.key))
    head = request("PUT", "/cities/Oslo", headers)
    data = head + b" " * body_bytes
    sent, problem = client.send_bounded(data, within=EARLY_CASE_SECONDS - 3.0, stall=3.0)
    body_sent = max(0, sent - len(head))
    if problem and not client.write_error:
        client.wait_closed(0.2)
        state = {"FIN": "and half-closed it", "RST": "and reset it"}.get(client.eof, "and left it open")
        raise Failure(f"expected the server to take the whole {body_bytes}-byte body (or close the "
                      f"connection completely) after its early {status}; it stopped reading after {body_sent} "
                      f"body bytes {state} ({early_answer(client.buffer)} waiting unread; {problem}): a client "
                      f"that writes its whole body before reading hangs")
    elapsed = time.monotonic() - start
    remaining = max(1.0, EARLY_CASE_SECONDS - elapsed)
    try:
        response = client.read_response(remaining, f"the early {status}")
    except Failure as error:
        if client.eof == "RST" or client.write_error == "RST":
            raise Failure(f"{error} — the server reset the connection with body bytes unread, which "
                          f"destroys its answer before the client reads it: drain the body or linger "
                          f"(written: {body_sent} body bytes)") from None
        raise
    expect_status(response, status, f"PUT /cities/Oslo with Content-Length {body_bytes}"
                  + (" and a key" if with_key else " without a key"))
    remaining = max(1.0, EARLY_CASE_SECONDS - (time.monotonic() - start))
    closed = client.assert_closed(remaining, f"after the early {status}")
    how = "the whole body written" if problem is None else f"{body_sent} body bytes written, then {problem}"
    return (f"{status} with {how}; closed ({closed.how}) {time.monotonic() - start:.2f}s after the "
            f"request began")


def early_401(ctx: Context) -> str:
    return early_answer_whole_body(ctx, with_key=False, status=401, body_bytes=EARLY_BODY_BYTES)


def early_413(ctx: Context) -> str:
    return early_answer_whole_body(ctx, with_key=True, status=413, body_bytes=2 * MAX_BODY_BYTES)


# 5. A client that never reads --------------------------------------------------------------------

PIPELINED = 2000
RSS_GROWTH_LIMIT_MIB = 32


def never_reads(ctx: Context) -> str:
    """Pipelined requests whose answers are never read: the server must stop reading (back
    pressure) rather than buffer answers without bound, keep serving others, and clean up once
    the client is gone. /openapi.yaml answers are large (about 20 KB each): 2,000 of them are
    far more than the kernel's buffers hold."""
    pid = ctx.server.pid
    rss_before = rss_mib(pid)
    report = []
    for path in ("/hello", "/openapi.yaml"):
        client = ctx.connect()
        data = request("GET", path) * PIPELINED
        sent, problem = client.send_bounded(data, within=5.0, stall=2.0)
        report.append(f"{path}: {sent * PIPELINED // len(data)} of {PIPELINED} requests taken"
                      + ("" if problem is None else " (then the server stopped reading)"))
        if client.eof:
            raise Failure(f"the server closed a pipelining client that had not misbehaved ({client.eof}) "
                          f"after {sent} bytes of requests to {path}")
    time.sleep(2.0)
    if not ctx.server.running:
        raise Failure(f"the server exited ({ctx.server.returncode}) under clients that never read")
    health = ctx.get("/healthz", within=3.0)
    expect_status(health, 200, "GET /healthz on a new connection while the clients that never read are connected")
    growth = rss_mib(pid) - rss_before
    if growth > RSS_GROWTH_LIMIT_MIB:
        raise Failure(f"the server's memory grew {growth:.0f} MiB while answers went unread "
                      f"(limit {RSS_GROWTH_LIMIT_MIB} MiB): it buffers answers instead of pushing back")
    for client in ctx.clients:
        client.close()
    time.sleep(0.5)
    if not ctx.server.running:
        raise Failure(f"the server exited ({ctx.server.returncode}) when the clients that never read left")
    expect_status(ctx.get("/healthz", within=3.0), 200, "GET /healthz on a new connection after they left")
    return f"{'; '.join(report)}; RSS {growth:+.1f} MiB; /healthz 200 during and after"


# 6. Connection cap -------------------------------------------------------------------------------

EXTRA_CONNECTIONS = 40
CPU_SHARE_LIMIT = 0.25
# NIO accepts up to maxMessagesPerRead (4) connections per read of the listening socket, so a
# cap can be overshot by a few before it stops reading.
CAP_OVERSHOOT = 4


def connection_cap(ctx: Context) -> str:
    """HTTP_MAX_CONNECTIONS below a lowered file limit: clients over the cap wait in the listen
    backlog, the process does not spin on failing accepts, existing connections and the backends
    keep working, and it serves new connections once the extra clients leave."""
    pid = ctx.server.pid
    existing = ctx.connect()
    for path in ("/hits", "/healthz"):
        existing.send(request("GET", path))
        expect_status(existing.read_response(5, f"an answer to GET {path}"), 200, f"GET {path} (warm-up)")
    fds, sockets = open_fds(pid)
    file_limit = fds + CONNECTION_CAP + 2 * CAP_OVERSHOOT
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (file_limit, file_limit))
    problems = []
    extras = []
    for _ in range(EXTRA_CONNECTIONS):
        try:
            extras.append(ctx.connect())
        except OSError as error:
            problems.append(f"connection {len(extras) + 1} of {EXTRA_CONNECTIONS} was refused: {error}")
            break
    time.sleep(1.0)
    cpu_before = cpu_seconds(pid)
    time.sleep(2.0)
    share = (cpu_seconds(pid) - cpu_before) / 2.0
    accepted = open_fds(pid)[1] - sockets
    waiting = listen_queue(ctx.port)
    if share > CPU_SHARE_LIMIT:
        problems.append(f"the server used {share:.0%} of a core over 2s with {len(extras)} connections over "
                        f"HTTP_MAX_CONNECTIONS={CONNECTION_CAP} and a file limit of {file_limit} "
                        f"(limit {CPU_SHARE_LIMIT:.0%}): a busy accept loop")
    if accepted + 1 > CONNECTION_CAP + CAP_OVERSHOOT:
        problems.append(f"the server holds {accepted + 1} client connections (cap {CONNECTION_CAP}, "
                        f"{CAP_OVERSHOOT} of overshoot allowed): it does not stop accepting at the cap")
    for path in ("/healthz", "/hits"):
        try:
            existing.send(request("GET", path), within=3.0)
            response = existing.read_response(3.0, f"an answer to GET {path} on a connection opened before the others")
            if response.status != 200:
                problems.append(f"GET {path} on the existing connection: expected 200, got {response.describe()}")
        except Failure as error:
            problems.append(str(error))
            break
    for client in extras:
        client.close()
    served = None
    deadline = time.monotonic() + 6.0
    attempts = 0
    while served is None and time.monotonic() < deadline:
        attempts += 1
        try:
            response = ctx.get("/healthz", within=2.0)
            if response.status == 200:
                served = time.monotonic() - (deadline - 6.0)
        except (Failure, OSError):
            time.sleep(0.2)
    if served is None:
        problems.append(f"after the {len(extras)} extra clients left, a new connection was not served /healthz 200 "
                        f"within 6s ({attempts} attempts)")
    if not ctx.server.running:
        problems.append(f"the server exited ({ctx.server.returncode})")
    if problems:
        raise Failure("; ".join(problems))
    return (f"file limit {file_limit}, cap {CONNECTION_CAP}: {accepted + 1} connections accepted, {waiting} waiting "
            f"in the backlog, CPU {share:.0%} of a core; the existing connection served /healthz and /hits; "
            f"a new connection was served {served:.1f}s after the extras left")


# 7. Connection semantics -------------------------------------------------------------------------

def closes_after_answer(ctx: Context, raw: bytes, what: str) -> str:
    client = ctx.connect()
    client.send(raw)
    response = client.read_response(5, f"an answer to {what}")
    expect_status(response, 200, what)
    problems = []
    if "close" not in response.tokens("Connection"):
        problems.append("expected 'Connection: close' on the answer, got Connection: "
                        + (response.header("Connection") or "absent"))
    closed = client.wait_closed(2.0)
    if not closed.closed:
        problems.append("expected the server to close the connection after the answer; still open 2s later")
    if problems:
        raise Failure("; ".join(problems))
    return f"200 with Connection: close, closed ({closed.how}) {closed.after:.2f}s after it"


def connection_close(ctx: Context) -> str:
    return closes_after_answer(ctx, request("GET", "/hello", [("Connection", "close")]),
                               "GET /hello with 'Connection: close'")


def connection_close_capital(ctx: Context) -> str:
    return closes_after_answer(ctx, request("GET", "/hello", [("Connection", "Close")]),
                               "GET /hello with 'Connection: Close'")


def connection_close_in_list(ctx: Context) -> str:
    return closes_after_answer(ctx, request("GET", "/hello", [("Connection", "keep-alive, close")]),
                               "GET /hello with 'Connection: keep-alive, close'")


def http10_default_close(ctx: Context) -> str:
    return closes_after_answer(ctx, request("GET", "/hello", version="HTTP/1.0"),
                               "HTTP/1.0 GET /hello without keep-alive")


def http10_keep_alive(ctx: Context) -> str:
    client = ctx.connect()
    raw = request("GET", "/hello", [("Connection", "keep-alive")], version="HTTP/1.0")
    client.send(raw)
    first = client.read_response(5, "an answer to HTTP/1.0 GET /hello with Connection: keep-alive")
    expect_status(first, 200, "HTTP/1.0 GET /hello with Connection: keep-alive")
    if "close" in first.tokens("Connection"):
        raise Failure("expected the connection kept open; the answer says Connection: close")
    if not client.is_open(1.0):
        raise Failure(f"expected the connection kept open; the server closed it ({client.eof}) within 1s")
    client.send(raw)
    expect_status(client.read_response(5, "an answer to a second request on it"), 200, "the second request")
    return (f"two answers on one connection, open in between (answer's Connection: "
            f"{first.header('Connection') or 'absent'})")


# 8. Framing --------------------------------------------------------------------------------------

def error_answer(ctx: Context, raw: bytes, status: int, what: str, json_shape: bool,
                 send_within: float = 5.0) -> str:
    """Sends raw (as much as the server takes), expects `status` (with the error shape when the
    request was parsed) and the connection closed after it."""
    client = ctx.connect()
    sent, problem = client.send_bounded(raw, within=send_within, stall=2.0)
    try:
        response = client.read_response(5, f"a {status} to {what}")
    except Failure as error:
        note = f" (the server had taken {sent} of {len(raw)} bytes: {problem})" if problem else ""
        raise Failure(f"{error}{note}") from None
    expect_status(response, status, what)
    problems = []
    if json_shape and (shape := response.json_error()):
        problems.append(f"{status} answer: {shape}")
    closed = client.wait_closed(2.0)
    if not closed.closed:
        problems.append(f"expected the connection closed after the {status} (answer's Connection: "
                        f"{response.header('Connection') or 'absent'}); still open 2s later"
                        + ("" if problem else f", the request ({len(raw)} bytes) having been taken whole"))
    if problems:
        raise Failure("; ".join(problems))
    return f"{response.status}, closed ({closed.how}) {closed.after:.2f}s after it" + (
        f", error code {_error_code(response)!r}" if json_shape else "")


def _error_code(response: Response) -> str | None:
    try:
        return json.loads(response.body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def missing_host(ctx: Context) -> str:
    return error_answer(ctx, request("GET", "/hello", host=False), 400, "HTTP/1.1 GET /hello without Host", True)


def double_host(ctx: Context) -> str:
    return error_answer(ctx, request("GET", "/hello", [("Host", "example.test")]), 400,
                        "GET /hello with two Host headers", True)


def transfer_encoding_gzip(ctx: Context) -> str:
    raw = request("PUT", "/cities/Oslo", [("X-API-Key", ctx.key), ("Content-Type", "application/json"),
                                          ("Transfer-Encoding", "gzip")])
    return error_answer(ctx, raw, 501, "PUT with 'Transfer-Encoding: gzip'", True)


def expect_continue(ctx: Context) -> str:
    body = b'{"population": 709037}'
    client = ctx.connect()
    client.send(request("PUT", "/cities/Oslo", [("X-API-Key", ctx.key), ("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body))), ("Expect", "100-continue"),
                                                ("Connection", "close")]))
    start = time.monotonic()
    interim = client.read_response(2.0, "'HTTP/1.1 100 Continue' before the body is sent", head_only=True)
    waited = time.monotonic() - start
    if interim.status != 100:
        raise Failure(f"expected 'HTTP/1.1 100 Continue' before the body, got {interim.describe()}")
    client.send(body)
    final = client.read_response(5, "the final answer after the body")
    expect_status(final, (200, 201), "PUT /cities/Oslo after 100 Continue")
    closed = client.assert_closed(2.0, "after the final answer (the request said Connection: close)")
    return (f"100 Continue {waited * 1000:.0f} ms after the head, then {final.status}; "
            f"closed ({closed.how})")


def header_too_large(ctx: Context) -> str:
    raw = request("GET", "/hello", [("X-Filler", "a" * 100_000)])
    return error_answer(ctx, raw, 431, "a request with a 100 KB header", False)


def target_too_long(ctx: Context) -> str:
    raw = request("GET", "/hello?pad=" + "a" * 20_480)
    return error_answer(ctx, raw, 414, "a 20 KB request target", False)


def chunked_too_large(ctx: Context) -> str:
    chunk = b"10000\r\n" + b" " * 65536 + b"\r\n"
    chunks = (MAX_BODY_BYTES // 65536 + 2) * chunk + b"0\r\n\r\n"
    raw = request("PUT", "/cities/Oslo", [("X-API-Key", ctx.key), ("Content-Type", "application/json"),
                                          ("Transfer-Encoding", "chunked")], chunks)
    return error_answer(ctx, raw, 413, f"a chunked body over MAX_BODY_BYTES={MAX_BODY_BYTES}", True)


# 9. A client that disconnects mid-request -----------------------------------------------------------

SERIES = re.compile(r'^http_server_request_duration_seconds_count\{([^}]*)\}\s+(\S+)', re.M)


def status_counts(ctx: Context, route: str, method: str) -> dict[str, float]:
    response = ctx.get("/metrics", admin=True)
    expect_status(response, 200, "GET /metrics")
    series = SERIES.findall(response.body.decode("utf-8", "replace"))
    if not series:
        raise Failure("/metrics has no http_server_request_duration_seconds_count series to check")
    counts = {}
    for labels, value in series:
        parsed = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
        if parsed.get("route") == route and parsed.get("method") == method:
            counts[parsed.get("status", "?")] = float(value)
    return counts


def log_size(ctx: Context) -> int:
    try:
        return ctx.server.log_path.stat().st_size
    except FileNotFoundError:
        return 0


def disconnect(ctx: Context, raw: bytes, route: str, method: str, wait: float, what: str,
               admin: bool = False) -> str:
    """admin: the request goes to the admin listener (/delay is there), whose connections run
    through the same HTTP channel as the public ones."""
    offset = log_size(ctx)
    before = status_counts(ctx, route, method)
    client = ctx.connect(admin=admin)
    client.send(raw)
    time.sleep(0.3)
    client.close()
    time.sleep(wait)
    if not ctx.server.running:
        raise Failure(f"the server exited ({ctx.server.returncode}) after a client disconnected mid-request")
    with open(ctx.server.log_path, "rb") as log:
        log.seek(offset)
        lines = [line.decode("utf-8", "replace").strip() for line in log]
    problems = [f"logged: {line[:200]}" for line in lines if "unhandled error" in line]
    after = status_counts(ctx, route, method)
    new = {status: after[status] - before.get(status, 0) for status in after if after[status] != before.get(status, 0)}
    if new.get("500"):
        problems.append(f"http_server_request_duration_seconds_count{{route=\"{route}\",status=\"500\"}} "
                        f"rose by {new['500']:g}")
    if problems:
        raise Failure(f"{what}: " + "; ".join(problems))
    recorded = ", ".join(f"status {status} +{count:g}" for status, count in sorted(new.items())) or "nothing"
    return f"no 'unhandled error' logged; metrics recorded {recorded} for {method} {route}"


def disconnect_waiting(ctx: Context) -> str:
    return disconnect(ctx, request("GET", "/delay/2"), "/delay/{seconds}", "GET", 2.5,
                      "GET /delay/2 (admin port), client gone after 0.3 s", admin=True)


def disconnect_mid_body(ctx: Context) -> str:
    raw = request("PUT", "/cities/Bergen", [("X-API-Key", ctx.key), ("Content-Type", "application/json"),
                                            ("Content-Length", "100")], b'{"populat')
    return disconnect(ctx, raw, "/cities/{name}", "PUT", 1.0, "PUT with 10 of 100 body bytes, client gone")


# 10. Date and Cache-Control ----------------------------------------------------------------------

def date_header(ctx: Context) -> str:
    """Date on every answer, current (within 2 s of this machine's clock, which the server shares)
    and never earlier than the one before, on one keep-alive connection and on fresh ones."""
    kept = ctx.connect()
    previous = None
    first_seen = last_seen = None
    count = 0
    start = time.monotonic()
    while time.monotonic() - start < 3.0 and count < 40:
        fresh = count % 2 == 1
        client = ctx.connect() if fresh else kept
        client.send(request("GET", "/hello", [("Connection", "close")] if fresh else []))
        response = client.read_response(5, "an answer to GET /hello")
        now = time.time()
        if fresh:
            client.close()
        value = response.header("Date")
        if not value:
            raise Failure(f"answer {count + 1} has no Date header")
        try:
            stamp = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            raise Failure(f"answer {count + 1}: Date {value!r} is not an HTTP date") from None
        if not value.endswith(" GMT"):
            raise Failure(f"answer {count + 1}: Date {value!r} is not in GMT (IMF-fixdate)")
        if not now - 2.0 <= stamp <= now + 1.0:
            raise Failure(f"answer {count + 1}: Date {value!r} is {stamp - now:+.1f}s from the clock")
        if previous is not None and stamp < previous[0]:
            raise Failure(f"Date went backwards: {previous[1]!r} then {value!r} "
                          f"(answer {count + 1}, {'a fresh' if fresh else 'the kept'} connection)")
        previous = (stamp, value)
        first_seen = first_seen or value
        last_seen = value
        count += 1
        time.sleep(0.1)
    return f"{count} answers, Date from {first_seen!r} to {last_seen!r}, never backwards"


def cache_control(ctx: Context) -> str:
    client = ctx.connect()
    body = b'{"population": 709037}'
    client.send(request("PUT", "/cities/Oslo", [("X-API-Key", ctx.key), ("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body)))], body))
    expect_status(client.read_response(5, "an answer to PUT /cities/Oslo"), (200, 201), "PUT /cities/Oslo")
    # /metrics on the admin listener (a connection of its own); the rest on the kept connection.
    wanted = (("/", "no-store"), ("/hits", "no-store"), ("/metrics", "no-store"), ("/cities/Oslo", "no-cache"))
    problems, seen = [], []
    for path, directive in wanted:
        if path == "/metrics":
            response = ctx.get(path, admin=True)
        else:
            client.send(request("GET", path))
            response = client.read_response(5, f"an answer to GET {path}")
        expect_status(response, 200, f"GET {path}")
        value = response.header("Cache-Control")
        seen.append(f"{path}: {value}")
        if directive not in response.tokens("Cache-Control"):
            problems.append(f"GET {path}: expected Cache-Control {directive}, got {value or 'none'}")
    if problems:
        raise Failure("; ".join(problems))
    return "; ".join(seen)


@dataclass
class Case:
    name: str
    run: Callable[[Context], str]
    server: str = "main"                 # "main" (short timeouts) or "capped" (HTTP_MAX_CONNECTIONS)


CASES = [
    Case("1-slow-head", slow_head),
    Case("2-slow-body", slow_body),
    Case("3-idle-keep-alive", idle_keep_alive),
    Case("4-early-401-whole-body-first", early_401),
    Case("4-early-413-whole-body-first", early_413),
    Case("5-never-reads", never_reads),
    Case("6-connection-cap", connection_cap, server="capped"),
    Case("7-connection-close", connection_close),
    Case("7-connection-Close-capital", connection_close_capital),
    Case("7-connection-keep-alive-close", connection_close_in_list),
    Case("7-http10-default-close", http10_default_close),
    Case("7-http10-keep-alive", http10_keep_alive),
    Case("8-missing-host-400", missing_host),
    Case("8-double-host-400", double_host),
    Case("8-transfer-encoding-gzip-501", transfer_encoding_gzip),
    Case("8-expect-100-continue", expect_continue),
    Case("8-header-100KB-431", header_too_large),
    Case("8-target-20KB-414", target_too_long),
    Case("8-chunked-over-limit-413", chunked_too_large),
    Case("9-disconnect-while-waiting", disconnect_waiting),
    Case("9-disconnect-mid-body", disconnect_mid_body),
    Case("10-date-never-backwards", date_header),
    Case("10-cache-control", cache_control),
]
