"""Closed-loop load through the load balancer that keeps every request's outcome.

A fixed number of workers each hold one keep-alive connection and send their next request as soon
as the previous one is answered, cycling through the mix. Nothing is sampled: the report, the
scenarios' time windows and the hit count all come from the full list of outcomes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

import http1
from processes import HOST, log, now

# Mix parts as given on the command line, and the requests each one sends.
MIX_PARTS = {"hello": ("hello",), "hits": ("hits",), "cities": ("city_put", "city_get")}
# Statuses that are a correct answer. A GET may find no city: the PUT before it can have failed
# during an outage, or a restarted in-memory search server has lost it.
EXPECTED = {"hello": {200}, "hits": {200}, "city_put": {200, 201}, "city_get": {200, 404}}
CITIES_PER_WORKER = 16
PROGRESS_EVERY = 5.0


@dataclass(slots=True)
class Outcome:
    kind: str
    started: float
    latency: float
    status: int | None = None     # None: no response at all, see `error`
    error: str | None = None
    stale_retry: bool = False     # resent once after the balancer closed an idle connection
    pod: str | None = None        # the replica that answered a /hello

    @property
    def ok(self) -> bool:
        return self.status in EXPECTED[self.kind]


def parse_mix(text: str) -> tuple[str, ...]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in parts if part not in MIX_PARTS]
    if unknown or not parts:
        raise ValueError(f"unknown mix part(s) {unknown or text!r}: choose from {', '.join(MIX_PARTS)}")
    return tuple(kind for part in parts for kind in MIX_PARTS[part])


def mix_label(kinds: Iterable[str]) -> str:
    return ",".join(part for part, part_kinds in MIX_PARTS.items() if set(part_kinds) <= set(kinds))


class LoadGenerator:
    def __init__(self, port: int, kinds: tuple[str, ...], concurrency: int, api_key: str, timeout: float = 20):
        self.port, self.kinds, self.concurrency, self.api_key, self.timeout = port, kinds, concurrency, api_key, timeout
        self.outcomes: list[Outcome] = []

    async def run(self, stop: asyncio.Event) -> None:
        """Sends requests until `stop` is set; every request started is finished and recorded."""
        async with asyncio.TaskGroup() as workers:
            for worker in range(self.concurrency):
                workers.create_task(self._worker(worker, stop))
            workers.create_task(self._progress(stop))

    async def _worker(self, worker: int, stop: asyncio.Event) -> None:
        connection = http1.Connection(HOST, self.port, self.timeout)
        # Workers start at different points of the mix so every kind is in flight at any moment.
        kinds = itertools.islice(itertools.cycle(self.kinds), worker % len(self.kinds), None)
        city_writes = itertools.count()
        city = ""
        try:
            for kind in kinds:
                if stop.is_set():
                    return
                if kind == "city_put":
                    write = next(city_writes)
                    city = f"fleet-{worker}-{write % CITIES_PER_WORKER}"
                    headers = {"X-API-Key": self.api_key, "Content-Type": "application/json"}
                    request = ("PUT", f"/cities/{city}", headers, json.dumps({"population": 1000 + write}).encode())
                elif kind == "city_get":
                    request = ("GET", f"/cities/{city or f'fleet-{worker}-0'}", {}, b"")
                else:
                    request = ("GET", f"/{kind}", {}, b"")
                self.outcomes.append(await self._send(connection, kind, *request))
        finally:
            connection.close()

    async def _send(self, connection: http1.Connection, kind: str, method: str, path: str,
                    headers: dict[str, str], body: bytes) -> Outcome:
        started = now()
        outcome = Outcome(kind, started, 0.0)
        reused = connection.is_open and connection.reused
        try:
            try:
                response = await connection.request(method, path, headers, body)
            except http1.RequestFailed as failure:
                if not (reused and failure.before_response):
                    raise
                # nginx closes idle keep-alive connections when a reload retires its old worker; a
                # request written into one at that instant was never read. Clients resend such a
                # request on a new connection (RFC 9110 §9.2.2: the request was never applied);
                # so does this one, once, and counts it. The Redis count would expose a resent
                # /hits that had in fact been applied.
                outcome.stale_retry = True
                response = await connection.request(method, path, headers, body)
            outcome.status = response.status
            if kind == "hello" and response.status == 200:
                outcome.pod = json.loads(response.body)["pod"]
        except http1.RequestFailed as failure:
            outcome.error = failure.kind
        outcome.latency = now() - started
        return outcome

    async def _progress(self, stop: asyncio.Event) -> None:
        reported = 0
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), PROGRESS_EVERY)
            except TimeoutError:
                recent = self.outcomes[reported:]
                reported += len(recent)
                failed = sum(not outcome.ok for outcome in recent)
                log(f"load: {len(recent) / PROGRESS_EVERY:.0f} req/s over the last {PROGRESS_EVERY:.0f}s, "
                    f"{failed} failed, {len(self.outcomes)} in total")

    def acknowledged_hits(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.kind == "hits" and outcome.status == 200)


@dataclass(frozen=True)
class Summary:
    requests: int
    ok_2xx: int
    non_2xx: int
    connection_errors: int
    failed: int           # not an expected answer (see EXPECTED): what the scenarios assert on
    stale_retries: int
    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> Summary:
        latencies = sorted(outcome.latency for outcome in outcomes)
        return cls(
            requests=len(outcomes),
            ok_2xx=sum(1 for outcome in outcomes if outcome.status is not None and 200 <= outcome.status < 300),
            non_2xx=sum(1 for outcome in outcomes if outcome.status is not None and not 200 <= outcome.status < 300),
            connection_errors=sum(1 for outcome in outcomes if outcome.status is None),
            failed=sum(1 for outcome in outcomes if not outcome.ok),
            stale_retries=sum(1 for outcome in outcomes if outcome.stale_retry),
            p50_ms=percentile(latencies, 50) * 1000,
            p99_ms=percentile(latencies, 99) * 1000,
        )


def percentile(ordered: list[float], rank: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def table(outcomes: list[Outcome], kinds: tuple[str, ...]) -> str:
    header = f"{'request':<10} {'sent':>7} {'2xx':>7} {'non-2xx':>8} {'conn err':>8} {'failed':>7} " \
             f"{'resent':>7} {'p50 ms':>8} {'p99 ms':>8}"
    rows = [header, "-" * len(header)]
    for label, subset in [(kind, [o for o in outcomes if o.kind == kind]) for kind in kinds] + [("all", outcomes)]:
        s = Summary.of(subset)
        rows.append(f"{label:<10} {s.requests:>7} {s.ok_2xx:>7} {s.non_2xx:>8} {s.connection_errors:>8} "
                    f"{s.failed:>7} {s.stale_retries:>7} {s.p50_ms:>8.1f} {s.p99_ms:>8.1f}")
    return "\n".join(rows)


def describe_failures(outcomes: list[Outcome], limit: int = 8) -> str:
    """The first failed requests, for the log of a failed assertion."""
    failed = [outcome for outcome in outcomes if not outcome.ok][:limit]
    return "\n".join(f"  t={o.started:.3f}s {o.kind} -> {o.status or o.error} after {o.latency * 1000:.0f} ms"
                     for o in failed)
