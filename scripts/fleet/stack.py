"""The whole fleet: Redis, the search server (when the city API is in the mix), N Petrel replicas,
nginx in front, and the endpoints controller between their readiness and nginx."""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import http1
from endpoints import MINIMUM_DRAIN, EndpointsController
from processes import HOST, LoadBalancer, Redis, Replica, ReplicaSettings, SearchServer, SetupError, log, stopped

COUNTER_KEY = "petrel:hits"   # Petrel's default COUNTER_KEY


def has_city_api(binary: Path) -> bool:
    """Whether this build has the city API: its --help lists CITY_STORE."""
    try:
        help_text = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=30,
                                   check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SetupError(f"{binary} --help failed ({error}): is PETREL_BIN a Petrel binary?") from None
    return re.search(r"^\s*CITY_STORE\s", help_text, re.MULTILINE) is not None


def search_server_binary() -> Path:
    try:
        import osmem_server
    except ImportError:
        raise SetupError("the city API needs osmem-server, which this Python lacks: run scripts/fleet/run.sh "
                         "once (it installs it into .venv), then use .venv/bin/python") from None
    return Path(osmem_server.resolve_binary())


@dataclass(frozen=True)
class FleetOptions:
    binary: Path
    replicas: int
    cities: bool
    drain_seconds: float
    shutdown_timeout_seconds: float
    redis_timeout_ms: int


class Fleet:
    def __init__(self, options: FleetOptions, workdir: Path):
        if options.drain_seconds <= MINIMUM_DRAIN:
            raise SetupError(f"a drain of {options.drain_seconds}s cannot cover the controller's poll, probe and "
                             f"nginx reload; use more than {MINIMUM_DRAIN:.1f}s (see endpoints.py)")
        self.options, self.workdir = options, workdir
        self.api_key = secrets.token_hex(16)
        self.redis = Redis(workdir)
        self.search = SearchServer(workdir, search_server_binary()) if options.cities else None
        self.balancer = LoadBalancer(workdir)
        self.replicas: list[Replica] = []
        # A replica without a port has not started listening yet: a pod not yet running.
        self.controller = EndpointsController(lambda: [r for r in self.replicas if r.port], self.balancer)
        self._names = 0
        self._replica_settings: ReplicaSettings | None = None

    async def start(self) -> None:
        binary = self.workdir / "bin" / "petrel"
        binary.parent.mkdir()
        # A copy: the build under .build/ may be replaced while the scenario runs.
        shutil.copy2(self.options.binary, binary)
        await self.redis.start()
        if self.search:
            await self.search.start()
        self._replica_settings = ReplicaSettings(
            binary=binary, drain_seconds=self.options.drain_seconds,
            shutdown_timeout_seconds=self.options.shutdown_timeout_seconds,
            redis_url=self.redis.url, redis_timeout_ms=self.options.redis_timeout_ms,
            search_url=self.search.url if self.search else None, api_key=self.api_key)
        await asyncio.gather(*(self.add_replica() for _ in range(self.options.replicas)))
        await self.controller.start(expected=self.options.replicas, timeout=60)
        await self.check_edge()
        log(f"fleet up: {self.options.replicas} replicas behind nginx on 127.0.0.1:{self.balancer.port} "
            f"(admin ports {', '.join(str(r.process.admin_port) for r in self.replicas)}), logs in {self.workdir}")

    async def check_edge(self) -> None:
        """As in a cluster: nginx (the Service and Ingress here) reaches only the replicas' serving
        ports, where /metrics answers 404; each replica serves it on its own admin port
        (ADMIN_PORT=0, picked free, so that replicas on one host do not collide on 9797)."""
        edge = await http1.get_once(HOST, self.balancer.port, "/metrics", 5)
        if edge.status != 404:
            raise SetupError(f"GET /metrics through nginx answered {edge.status}, expected 404: "
                             "operations belong to the admin port")
        for replica in self.replicas:
            admin = await http1.get_once(HOST, replica.process.admin_port, "/metrics", 5)
            if admin.status != 200:
                raise SetupError(f"GET /metrics on {replica.name}'s admin port {replica.process.admin_port} "
                                 f"answered {admin.status}")

    async def add_replica(self) -> Replica:
        """A new pod: a new name, a port of its own; the controller routes to it once it is ready."""
        self._names += 1
        replica = Replica(f"petrel-{self._names}", self.workdir, self._replica_settings)
        self.replicas.append(replica)
        await replica.start()
        return replica

    def forget(self, replica: Replica) -> None:
        """The pod is gone (it exited): the controller stops probing it."""
        self.replicas.remove(replica)

    async def run(self, scenario):
        """Runs the scenario coroutine with the controller beside it; a controller that fails (nginx
        died, a reload was refused) ends the scenario with its error."""
        controller = asyncio.create_task(self.controller.run())
        scenario_task = asyncio.create_task(scenario)
        try:
            await asyncio.wait({controller, scenario_task}, return_when=asyncio.FIRST_COMPLETED)
            if controller.done():
                scenario_task.cancel()
                controller.result()
            return scenario_task.result()
        finally:
            for task in (controller, scenario_task):
                task.cancel()
            await asyncio.gather(controller, scenario_task, return_exceptions=True)

    async def stop(self) -> None:
        """nginx first (no new traffic), then the replicas together, then their backends."""
        await self.balancer.stop()
        patience = self.options.drain_seconds + self.options.shutdown_timeout_seconds + 5
        await asyncio.gather(*(stopped(replica.process, patience) for replica in self.replicas))
        if self.search:
            await self.search.stop()
        await stopped(self.redis.process)
