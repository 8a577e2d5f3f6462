"""The scripts' one HTTP/1.1 client: asyncio streams, for the fleet's load generator and probes,
and `request()` for synchronous code (the live checks, waiting for a server to answer).

The standard library's clients hide what the fleet test has to see: whether a connection was
reused, whether the server closed it before sending a single byte, and every error by its kind.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from dataclasses import dataclass


class RequestFailed(OSError):
    """No complete response. `kind` names the failure for the report; `before_response` is true
    when not one byte of a response arrived, so the server cannot have answered this request.
    An OSError, as a refused connection is: a caller polling a server that is still starting
    treats both as "not yet"."""

    def __init__(self, kind: str, before_response: bool):
        super().__init__(kind)
        self.kind = kind
        self.before_response = before_response


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    keep_alive: bool


class Connection:
    """One keep-alive connection; `reused` is true once it has carried a response."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reused = False

    @property
    def is_open(self) -> bool:
        # A server that closed an idle connection has left EOF in the buffer: notice it before
        # writing a request into a dead socket.
        return self.writer is not None and not self.writer.is_closing() and not self.reader.at_eof()

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> Response:
        try:
            return await asyncio.wait_for(self._exchange(method, path, headers or {}, body), self.timeout)
        except TimeoutError:
            self.close()
            raise RequestFailed("timeout", before_response=False) from None
        except RequestFailed:
            self.close()
            raise

    async def _exchange(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        if not self.is_open:
            self.close()
            try:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            except ConnectionRefusedError:
                raise RequestFailed("connection refused", before_response=True) from None
            except OSError as error:
                raise RequestFailed(f"connect: {error.strerror or error}", before_response=True) from None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        received_any = False
        try:
            self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await self.writer.drain()
            status_line = await self.reader.readline()
            if not status_line:
                raise RequestFailed("closed before response", before_response=True)
            received_any = True
            status, keep_alive, length, chunked = _parse_head(status_line, await self._read_header_lines())
            if chunked:
                payload = await self._read_chunked()
            elif length is not None:
                payload = await self.reader.readexactly(length)
            else:
                payload = await self.reader.read() if not keep_alive else b""
        except RequestFailed:
            raise
        except (ConnectionResetError, BrokenPipeError):
            raise RequestFailed("connection reset", before_response=not received_any) from None
        except asyncio.IncompleteReadError:
            raise RequestFailed("closed mid-response", before_response=False) from None
        except OSError as error:
            raise RequestFailed(f"socket: {error.strerror or error}", before_response=not received_any) from None
        except ValueError as error:
            raise RequestFailed(f"malformed response: {error}", before_response=False) from None
        self.reused = True
        if not keep_alive:
            self.close()
        return Response(status, payload, keep_alive)

    async def _read_header_lines(self) -> list[bytes]:
        lines = []
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n"):
            if not line:
                raise asyncio.IncompleteReadError(b"", None)
            lines.append(line)
        return lines

    async def _read_chunked(self) -> bytes:
        payload = bytearray()
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return bytes(payload)
            payload += chunk[:-2]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
        self.reused = False


def _parse_head(status_line: bytes, header_lines: list[bytes]) -> tuple[int, bool, int | None, bool]:
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"status line {status_line[:60]!r}")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    keep_alive = headers.get(b"connection") != b"close" and parts[0] == b"HTTP/1.1"
    chunked = b"chunked" in headers.get(b"transfer-encoding", b"")
    length = headers.get(b"content-length")
    return int(parts[1]), keep_alive, None if length is None else int(length), chunked


async def once(host: str, port: int, method: str, path: str, headers: dict[str, str] | None = None,
               body: bytes = b"", timeout: float = 5) -> Response:
    """One request on a fresh connection, closed afterwards (as a kubelet probe does)."""
    connection = Connection(host, port, timeout)
    try:
        return await connection.request(method, path, {"Connection": "close", **(headers or {})}, body)
    finally:
        connection.close()


async def get_once(host: str, port: int, path: str, timeout: float) -> Response:
    return await once(host, port, "GET", path, timeout=timeout)


def request(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None,
            timeout: float = 5) -> Response:
    """One request from synchronous code, to a URL such as http://127.0.0.1:9090/-/ready. Raises
    RequestFailed when no complete response arrives; any status is a response."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"not an http:// URL: {url}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return asyncio.run(once(parts.hostname, parts.port or 80, method, path, headers, body, timeout))
