"""The fleet's processes: Redis, the Elasticsearch-compatible server, Petrel replicas and nginx.

Each is a petrel_process.Process (scripts/lib): it listens on 127.0.0.1 only, writes its output
to a log file in its own directory of the run's, and is stopped by its own PID. Waiting on a
process, which blocks, runs in a thread (`exited`, `stopped`). `stack.Fleet` starts them in
dependency order and stops them in reverse.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import http1
from petrel_process import HOST, Petrel, Process, free_port, log_tail

STARTED = time.monotonic()


def now() -> float:
    """Seconds since the run started: the one clock of every log line, event and outcome."""
    return time.monotonic() - STARTED


def log(message: str) -> None:
    print(f"[{now():8.3f}s] {message}", file=sys.stderr, flush=True)


class SetupError(Exception):
    """The fleet could not be brought up; the message says what to do."""


async def exited(process: Process, timeout: float) -> int:
    """The exit status, once the process has exited; TimeoutError after timeout."""
    return await asyncio.to_thread(process.wait, timeout)


async def stopped(process: Process, timeout: float = 10) -> int | None:
    """SIGTERM, then SIGKILL if it is still there after `timeout`; the exit status."""
    if process.running:
        code = await asyncio.to_thread(process.stop, signal.SIGTERM, timeout)
        if code == -signal.SIGKILL:
            log(f"{process.name} ignored SIGTERM for {timeout:.0f}s: SIGKILL")
        return code
    return process.returncode


async def wait_until(condition, timeout: float, what: str, interval: float = 0.02) -> float:
    """Polls an async `condition` until it holds; returns the time it took."""
    start = now()
    while not await condition():
        if now() - start > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f}s")
        await asyncio.sleep(interval)
    return now() - start


class Redis:
    """The shared hit counter. AOF with fsync on every write: an increment Redis has answered is on
    disk before the answer leaves, so a restart (even a crash) keeps every acknowledged hit."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process = Process("redis", [
            "redis-server", "--bind", HOST, "--port", self.port, "--dir", self.dir,
            "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
        ], self.dir)

    async def start(self) -> None:
        self.process.spawn()
        try:
            await wait_until(self.answers, 20, "redis PING")
        except TimeoutError:
            raise self.process.failure("did not answer PING") from None

    async def answers(self) -> bool:
        if not self.process.running:
            raise self.process.failure("exited")
        try:
            return await self.command("PING") == b"+PONG"
        except OSError:
            return False

    async def stop(self) -> None:
        # SIGTERM: Redis flushes the AOF and exits 0 (a planned restart).
        code = await stopped(self.process)
        if code != 0:
            raise self.process.failure(f"exited {code} on SIGTERM")

    async def command(self, *words: str) -> bytes:
        """One command in RESP; returns the first reply line (enough for PING and GET of a count)."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), 2)
        try:
            writer.write(b"".join([f"*{len(words)}\r\n".encode()] +
                                  [f"${len(word)}\r\n{word}\r\n".encode() for word in words]))
            reply = (await asyncio.wait_for(reader.readline(), 2)).rstrip(b"\r\n")
            if reply.startswith(b"$") and reply != b"$-1":
                reply = (await asyncio.wait_for(reader.readline(), 2)).rstrip(b"\r\n")
            return reply
        finally:
            writer.close()

    async def count(self, key: str) -> int:
        reply = await self.command("GET", key)
        return 0 if reply == b"$-1" else int(reply)


class SearchServer:
    """osmem-server, the in-memory Elasticsearch-compatible server. Restarted on the port it first
    picked, so ELASTICSEARCH_URL stays valid; its data does not survive a restart."""

    def __init__(self, workdir: Path, binary: Path):
        self.dir = workdir / "search"
        self.dir.mkdir()
        self.binary = binary
        self.port = 0
        self.process = Process("osmem-server", [], self.dir)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def start(self) -> None:
        self.process.argv = [str(self.binary), "-addr", f"{HOST}:{self.port}", "-no-stdin-watch",
                             "-parent-pid", str(os.getpid())]
        self.process.spawn()
        try:
            await wait_until(self._announced, 20, "osmem-server start")
        except TimeoutError:
            raise self.process.failure("did not print its address") from None

    async def _announced(self) -> bool:
        if not self.process.running:
            raise self.process.failure("exited")
        first_line = self.process.log_path.read_text().partition("\n")[0]
        if not first_line.startswith("{"):
            return False
        self.port = int(json.loads(first_line)["url"].rsplit(":", 1)[1])
        return True

    async def stop(self) -> None:
        await stopped(self.process)


@dataclass(frozen=True)
class ReplicaSettings:
    binary: Path
    drain_seconds: float
    shutdown_timeout_seconds: float
    redis_url: str
    redis_timeout_ms: int
    search_url: str | None       # set when the city API is in the mix
    api_key: str


class Replica:
    """One Petrel process, named like a pod. A replacement is a new replica with a new name and
    ports (a new pod); a restart after a crash keeps them (the kubelet restarting the container):
    the serving port here, the admin port (ADMIN_PORT, picked free on the first start) in Petrel."""

    def __init__(self, name: str, workdir: Path, settings: ReplicaSettings):
        self.name = name
        self.port = 0
        self.process = Petrel(settings.binary, workdir / name, self.environment(name, settings), settings.api_key, name)

    def __repr__(self) -> str:
        return f"{self.name}:{self.port}"

    @staticmethod
    def environment(name: str, settings: ReplicaSettings) -> dict[str, str]:
        env = {
            "APP_ENV": "production", "POD_NAME": name, "NODE_NAME": "fleet", "POD_NAMESPACE": "fleet",
            "READY_MIN_UPTIME_SECONDS": 0,
            "SHUTDOWN_DRAIN_SECONDS": settings.drain_seconds,
            "SHUTDOWN_TIMEOUT_SECONDS": settings.shutdown_timeout_seconds,
            "COUNTER_STORE": "redis", "REDIS_URL": settings.redis_url,
            # The default 250 ms is a production latency budget; on a shared 2-core machine a
            # scheduler stall that long would read as a lost request. These scenarios test the
            # lifecycle, not latency.
            "REDIS_TIMEOUT_MS": settings.redis_timeout_ms,
        }
        if settings.search_url:
            env |= {"CITY_STORE": "elasticsearch", "ELASTICSEARCH_URL": settings.search_url}
        return env

    async def start(self) -> None:
        """Starts the process and waits until it listens (not until it is ready: that is the
        controller's business). Port 0 on the first start: Petrel picks one and logs it."""
        await asyncio.to_thread(self.process.start, self.port, None, 30)
        self.port = self.process.port

    async def readiness(self, timeout: float) -> http1.Response:
        return await http1.get_once(HOST, self.port, "/readiness", timeout)


class LoadBalancer:
    """nginx as the fleet's Service: one worker, keep-alive to the replicas, and no retries to
    another upstream (`proxy_next_upstream off`), so every failure a replica causes reaches the
    client. Only failed requests are logged, with the upstream that answered.

    nginx's passive check (`max_fails=1`) stops picking a replica for `fail_timeout` after a request
    to it fails at the connection level. 2 s outlasts the controller's reaction (endpoints.py:
    poll + probe + reload, 1.2 s), so a crashed replica gets no further request before the
    controller takes it out; a replica restarted sooner waits out the 2 s (kube-proxy and the ALB
    have no such check, so there a crash costs more requests and a restart returns sooner)."""

    GENERATION_PATH = "/-/fleet/generation"

    def __init__(self, workdir: Path):
        self.dir = workdir / "nginx"
        self.dir.mkdir()
        self.port = free_port()
        self.generation = 0
        self.process = Process("nginx", [
            "nginx", "-p", self.dir, "-c", self.dir / "nginx.conf", "-e", self.dir / "error.log",
        ], self.dir)

    def render(self, upstreams: list[Replica]) -> str:
        if upstreams:
            servers = "\n".join(f"    server {HOST}:{replica.port} max_fails=1 fail_timeout=2s;  # {replica.name}"
                                for replica in upstreams)
        else:
            servers = f"    server {HOST}:9 down;  # no endpoints: every request gets 502"
        return f"""# generation {self.generation}, written by the fleet's endpoints controller
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log notice;
events {{ worker_connections 1024; }}
http {{
  client_body_temp_path {self.dir}/tmp/body;
  proxy_temp_path {self.dir}/tmp/proxy;
  fastcgi_temp_path {self.dir}/tmp/fastcgi;
  uwsgi_temp_path {self.dir}/tmp/uwsgi;
  scgi_temp_path {self.dir}/tmp/scgi;
  map $status $failed {{ ~^[23] 0; default 1; }}
  log_format failures '$msec $status "$request" upstream=$upstream_addr upstream_status=$upstream_status '
                      'request_time=$request_time';
  access_log {self.dir}/failures.log failures if=$failed;
  keepalive_requests 1000000;
  upstream petrel {{
{servers}
    keepalive 32;
  }}
  server {{
    listen {HOST}:{self.port};
    location = {self.GENERATION_PATH} {{ return 200 "{self.generation}"; }}
    location / {{
      proxy_pass http://petrel;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream off;
      proxy_connect_timeout 2s;
      proxy_read_timeout 15s;
    }}
  }}
}}
"""

    def _write(self, upstreams: list[Replica]) -> None:
        self.generation += 1
        staged = self.dir / "nginx.conf.new"
        staged.write_text(self.render(upstreams))
        os.replace(staged, self.dir / "nginx.conf")

    async def start(self, upstreams: list[Replica]) -> None:
        (self.dir / "tmp").mkdir()
        self._write(upstreams)
        self.process.spawn()
        await self._wait_for_generation()

    async def apply(self, upstreams: list[Replica]) -> float:
        """Rewrites the upstream list and reloads (SIGHUP to the master); returns the seconds until
        the new configuration answered. Old workers finish the requests they hold, then exit."""
        self._write(upstreams)
        self.process.send(signal.SIGHUP)
        return await self._wait_for_generation()

    async def _wait_for_generation(self) -> float:
        wanted = str(self.generation).encode()

        async def loaded() -> bool:
            if not self.process.running:
                raise self.process.failure("exited")
            try:
                return (await http1.get_once(HOST, self.port, self.GENERATION_PATH, 1)).body == wanted
            except http1.RequestFailed:
                return False
        try:
            return await wait_until(loaded, 10, f"nginx generation {self.generation}", interval=0.005)
        except TimeoutError:
            raise SetupError(f"nginx did not load generation {self.generation}: see {self.dir}/error.log:\n"
                             f"{log_tail(self.dir / 'error.log')}") from None

    async def stop(self) -> None:
        # SIGQUIT is nginx's graceful stop.
        if self.process.running:
            self.process.send(signal.SIGQUIT)
            try:
                await exited(self.process, 10)
            except TimeoutError:
                await stopped(self.process)
