"""The endpoints controller: the job Kubernetes does between readiness probes and a Service.

Each round it probes every replica's /readiness and, when the set that should receive traffic
changes, rewrites nginx's upstream list and reloads nginx. It learns about a shutdown only from
readiness (Kubernetes also drops a terminating pod from its endpoints at once), so a rolling
restart here proves Petrel's own drain, with nothing else helping.

Why SHUTDOWN_DRAIN_SECONDS has to outlast this controller. After SIGTERM at t0:
  t0                      readiness answers 503; the replica keeps serving.
  ≤ t0 + poll + probe     a probe round sees the 503 (a round waits for its slowest probe).
  + reload                nginx's new worker routes without the replica. The old worker stops
                          accepting, closes its idle keep-alive connections (the clients reconnect,
                          to the new worker) and finishes the requests it has already read:
                          those still go to the draining replica, which still serves them.
  t0 + drain              the replica stops accepting, then finishes what it holds.
So the drain must exceed poll interval + probe timeout + reload time + the longest request;
a request routed to a replica after its drain ended would fail. `MINIMUM_DRAIN` enforces the
margin up front and the rolling scenario measures the real figure on every replacement.

No replica ready: when Redis or Elasticsearch is down, every replica fails readiness at once
(docs/contract.md: readiness includes every configured backend). A Kubernetes Service would then have no
endpoints and even /hello would fail; the AWS ALB in front of Petrel "fails open" and routes to
all registered targets. This controller does the same, limited to replicas whose only failing
checks are backends (never one that is draining, starting or disabled by an operator), so
requests that do not need the missing backend keep being served.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

import http1
from processes import LoadBalancer, Replica, log, now

POLL_INTERVAL = 0.2
PROBE_TIMEOUT = 0.5
RELOAD_BUDGET = 0.5
MINIMUM_DRAIN = POLL_INTERVAL + PROBE_TIMEOUT + RELOAD_BUDGET

# Readiness gates about the process itself; any other failing check names a backend.
PROCESS_GATES = frozenset({"server", "operator", "uptime"})

READY, BACKEND_DOWN, UNREADY, UNREACHABLE = "ready", "backend down", "unready", "unreachable"
DETAIL_WIDTH = 120   # of a failing check's text in the log; Petrel's backend errors are long


@dataclass(frozen=True)
class Probe:
    state: str
    detail: str = ""


@dataclass(frozen=True)
class RoutingChange:
    at: float                  # when nginx first answered with the new configuration
    routed: tuple[str, ...]    # replica names
    fail_open: bool
    reload_seconds: float


def classify(status: int, body: bytes) -> Probe:
    if status == 200:
        return Probe(READY)
    try:
        checks = json.loads(body)["checks"]
    except (ValueError, KeyError, TypeError):
        return Probe(UNREADY, f"HTTP {status}")
    failing = {name: result for name, result in checks.items() if result != "ok"}
    detail = "; ".join(f"{name}: {result}" for name, result in failing.items()) or f"HTTP {status}"
    return Probe(UNREADY if failing.keys() & PROCESS_GATES or not failing else BACKEND_DOWN, detail)


class EndpointsController:
    def __init__(self, replicas: Callable[[], list[Replica]], balancer: LoadBalancer):
        self.replicas = replicas
        self.balancer = balancer
        self.routed: tuple[Replica, ...] = ()
        self.fail_open = False
        self.states: dict[str, Probe] = {}
        self.changes: list[RoutingChange] = []

    @property
    def routed_names(self) -> tuple[str, ...]:
        return tuple(replica.name for replica in self.routed)

    async def probe(self, replica: Replica) -> Probe:
        try:
            response = await replica.readiness(PROBE_TIMEOUT)
        except http1.RequestFailed as failure:
            return Probe(UNREACHABLE, failure.kind)
        return classify(response.status, response.body)

    async def observe(self) -> list[Replica]:
        """One probe round; logs each replica whose state changed; returns who should get traffic."""
        replicas = self.replicas()
        probed = list(zip(replicas, await asyncio.gather(*(self.probe(r) for r in replicas)), strict=True))
        for replica, probe in probed:
            if self.states.get(replica.name) != probe:
                detail = probe.detail if len(probe.detail) <= DETAIL_WIDTH else probe.detail[:DETAIL_WIDTH] + "..."
                log(f"endpoints: {replica!r} {probe.state}" + (f" ({detail})" if detail else ""))
                self.states[replica.name] = probe
        ready = [replica for replica, probe in probed if probe.state == READY]
        self.fail_open = not ready
        return ready or [replica for replica, probe in probed if probe.state == BACKEND_DOWN]

    async def start(self, expected: int, timeout: float) -> None:
        """Waits until `expected` replicas are ready, then starts nginx routing to them."""
        deadline = now() + timeout
        while len(target := await self.observe()) < expected or self.fail_open:
            if now() > deadline:
                raise TimeoutError(f"only {len(target)} of {expected} replicas ready after {timeout:.0f}s: "
                                   f"{self.states}")
            await asyncio.sleep(POLL_INTERVAL)
        await self.balancer.start(target)
        self._record(tuple(target), reload_seconds=0.0)

    async def run(self) -> None:
        while True:
            target = tuple(await self.observe())
            if target != self.routed:
                self._record(target, await self.balancer.apply(list(target)))
            await asyncio.sleep(POLL_INTERVAL)

    def _record(self, target: tuple[Replica, ...], reload_seconds: float) -> None:
        self.routed = target
        change = RoutingChange(now(), self.routed_names, self.fail_open and bool(target), reload_seconds)
        self.changes.append(change)
        how = "FAILING OPEN (no replica ready) to" if change.fail_open else "routes"
        reload = f" (reload answered in {reload_seconds * 1000:.0f} ms)" if len(self.changes) > 1 else ""
        log(f"endpoints: nginx generation {self.balancer.generation} {how} "
            f"[{', '.join(map(repr, target)) or 'nothing'}]{reload}")

    async def wait_until_routed(self, predicate: Callable[[tuple[str, ...]], bool], timeout: float,
                                what: str) -> float:
        """Waits until the routed set satisfies `predicate`; returns when that change went live."""
        deadline = now() + timeout
        while not predicate(self.routed_names):
            if now() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:.0f}s (nginx routes {self.routed_names})")
            await asyncio.sleep(0.02)
        return self.changes[-1].at
