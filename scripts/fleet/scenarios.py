"""The scenarios. Each runs WARMUP seconds of steady load, its action (bounded by its deadline), then
TAIL seconds more, so a fleet that has not fully recovered shows in the outcomes; then the load
stops, every request in flight is finished, and the scenario checks the complete list of outcomes.

Windows are bounds on when failures may happen, never tight deadlines on how fast recovery is:
the figures are measured and reported, the checks only say a failure cannot be blamed on the fault
(it happened outside it) or was of a kind the fault cannot cause.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

from endpoints import READY
from loadgen import LoadGenerator, Outcome, describe_failures, mix_label, table
from processes import exited, log, now, wait_until
from stack import COUNTER_KEY, Fleet

WARMUP = 2.0
TAIL = 3.0
OUTAGE = 3.0            # long enough for every replica's background check to see it
RECOVERY_LIMIT = 15.0   # Redis reconnect backoff is at most 2 s, a dependency check every 2 s
EARLY_MARGIN = 1.0      # a request started this long before a fault may still be hit by it


class Run:
    """One scenario's record: the outcomes, the figures it measured, and the checks that failed."""

    def __init__(self, scenario: Scenario, fleet: Fleet, load: LoadGenerator):
        self.scenario, self.fleet, self.load = scenario, fleet, load
        self.figures: list[tuple[str, str]] = []
        self.problems: list[str] = []

    @property
    def outcomes(self) -> list[Outcome]:
        return self.load.outcomes

    def event(self, text: str) -> float:
        log(f"{self.scenario.name}: {text}")
        return now()

    def figure(self, label: str, value: str) -> None:
        self.figures.append((label, value))

    def check(self, holds: bool, problem: str) -> None:
        if not holds:
            self.problems.append(problem)

    def served_by(self, pod: str, since: float) -> float | None:
        """When `pod` first answered a /hello started after `since`."""
        return min((o.started + o.latency for o in self.outcomes if o.pod == pod and o.started >= since), default=None)

    def report(self) -> str:
        fleet = self.fleet
        lines = [f"=== {self.scenario.name}: {self.scenario.summary}",
                 f"{fleet.options.replicas} replicas, {self.load.concurrency} connections, mix "
                 f"{mix_label(self.load.kinds)}, drain {fleet.options.drain_seconds:g}s",
                 "", table(self.outcomes, self.load.kinds), ""]
        width = max((len(label) for label, _ in self.figures), default=0)
        lines += [f"{label:<{width}}  {value}" for label, value in self.figures]
        if self.problems:
            lines += ["", "FAIL:"] + [f"  - {problem}" for problem in self.problems]
            if any(not o.ok for o in self.outcomes):
                lines += ["first failed requests:", describe_failures(self.outcomes)]
        else:
            lines += ["", "PASS"]
        return "\n".join(lines)

    @property
    def passed(self) -> bool:
        return not self.problems


class Scenario:
    name = ""
    summary = ""
    needs: frozenset[str] = frozenset()   # request kinds the mix must hold

    def deadline(self, fleet: Fleet) -> float:
        return 60.0

    async def act(self, run: Run) -> None:
        raise NotImplementedError

    async def verify(self, run: Run) -> None:
        """Runs after the load stopped and every request finished."""

    def hits_that_could_count(self, run: Run) -> list[Outcome]:
        """Failed /hits whose INCR may still have been applied: without knowing more, all of them."""
        return [o for o in run.outcomes if o.kind == "hits" and o.status != 200]


async def check_hit_count(run: Run, could_count: list[Outcome]) -> None:
    """None lost: every /hits answered 200 is in Redis's count (AOF, fsync before each answer).
    None counted twice: Petrel never resends an INCR, and the load generator resends only requests
    nginx never read, so the count may exceed the 200s only by failed /hits whose INCR Redis applied
    but whose answer never came back. Across a fault nobody can make that exact; the bound is as
    tight as the scenario can make `could_count`. With no failed /hits it is an equality."""
    acknowledged = run.load.acknowledged_hits()
    count = await run.fleet.redis.count(COUNTER_KEY)
    run.check(count >= acknowledged, f"hits lost: Redis counts {count}, but {acknowledged} /hits were answered 200")
    run.check(count <= acknowledged + len(could_count),
              f"hits counted twice: Redis counts {count}, more than the {acknowledged} answered 200 plus the "
              f"{len(could_count)} failed /hits that could have reached Redis")
    run.figure("Redis count vs /hits answered 200",
               f"{count} vs {acknowledged}: {count - acknowledged} applied but unanswered "
               f"(at most {len(could_count)} failed /hits could have been)")


async def execute(scenario: Scenario, fleet: Fleet, kinds: tuple[str, ...], concurrency: int) -> Run:
    load = LoadGenerator(fleet.balancer.port, kinds, concurrency, fleet.api_key)
    run = Run(scenario, fleet, load)
    stop = asyncio.Event()
    load_task = asyncio.create_task(load.run(stop))
    try:
        await asyncio.sleep(WARMUP)
        bound = scenario.deadline(fleet)
        try:
            async with asyncio.timeout(bound) as limit:
                await scenario.act(run)
        except TimeoutError:
            if not limit.expired():
                raise   # a wait inside the scenario, with its own message
            raise TimeoutError(f"{scenario.name} did not finish within its {bound:.0f}s bound") from None
        await asyncio.sleep(TAIL)
    finally:
        stop.set()
        await load_task
    await scenario.verify(run)
    if "hits" in kinds:
        await check_hit_count(run, scenario.hits_that_could_count(run))
    return run


class RollingRestart(Scenario):
    name = "rolling"
    summary = "replace every replica in turn under load: no request may fail"
    needs = frozenset({"hello"})   # /hello names the replica that answered

    def deadline(self, fleet: Fleet) -> float:
        options = fleet.options
        return options.replicas * (options.drain_seconds + options.shutdown_timeout_seconds + 30)

    async def act(self, run: Run) -> None:
        fleet, controller = run.fleet, run.fleet.controller
        drain = fleet.options.drain_seconds
        started = now()
        self.new_replicas = []
        for old in list(fleet.replicas):
            sigterm = run.event(f"SIGTERM {old!r}")
            old.process.send(signal.SIGTERM)
            unrouted = await controller.wait_until_routed(
                lambda names, gone=old.name: gone not in names, drain + 10, f"nginx stops routing to {old.name}")
            code = await exited(old.process, drain + fleet.options.shutdown_timeout_seconds + 10)
            exited_at = run.event(f"{old!r} exited {code}")
            fleet.forget(old)
            new = await fleet.add_replica()
            launched = run.event(f"started {new!r}")
            routed = await controller.wait_until_routed(
                lambda names, added=new.name: added in names, 60, f"{new.name} routed")
            run.check(code == 0, f"{old.name} exited {code} after SIGTERM, expected 0")
            run.check(unrouted - sigterm < drain,
                      f"nginx still routed to {old.name} {unrouted - sigterm:.2f}s after SIGTERM, past the {drain:g}s "
                      "drain: requests sent after the drain would fail")
            run.figure(f"{old.name} -> {new.name}",
                       f"out of nginx {unrouted - sigterm:.2f}s after SIGTERM (drain {drain:g}s), exited {code} "
                       f"after {exited_at - sigterm:.2f}s; {new.name} routed {routed - launched:.2f}s after start")
            self.new_replicas.append((new, routed))
        run.figure("rolling restart took", f"{now() - started:.1f}s")

    async def verify(self, run: Run) -> None:
        failed = sum(not o.ok for o in run.outcomes)
        run.check(failed == 0, f"{failed} requests failed during the rolling restart")
        for new, routed in self.new_replicas:
            run.check(run.served_by(new.name, routed) is not None, f"{new.name} was routed but never answered /hello")
        run.figure("failed requests", str(failed))


class ReplicaKill(Scenario):
    name = "kill"
    summary = "SIGKILL one replica: only its in-flight requests may fail"
    needs = frozenset({"hello"})

    async def act(self, run: Run) -> None:
        victim = run.fleet.replicas[0]
        self.victim = victim.name
        self.killed = run.event(f"SIGKILL {victim!r}")
        victim.process.send(signal.SIGKILL)
        await exited(victim.process, 10)
        # The kubelet restarts the container in the same pod: same name, same port.
        await victim.start()
        self.restarted = run.event(f"restarted {victim!r}")
        await wait_until(lambda: self._served_again(run), 60, f"{victim.name} serving through nginx again")
        run.event(f"{victim!r} answers through nginx again")

    async def _served_again(self, run: Run) -> bool:
        return run.served_by(self.victim, self.restarted) is not None

    async def verify(self, run: Run) -> None:
        concurrency = run.load.concurrency
        failures = [o for o in run.outcomes if not o.ok]
        serving = run.served_by(self.victim, self.restarted)
        run.check(len(failures) <= concurrency,
                  f"{len(failures)} requests failed, more than the {concurrency} that can be in flight at once")
        late = [o for o in failures if o.started > serving or o.started < self.killed - EARLY_MARGIN]
        run.check(not late, f"{len(late)} failed requests started outside the crash (before the kill or after "
                            f"{self.victim} served again)")
        unrouted = [change.at for change in run.fleet.controller.changes
                    if change.at > self.killed and self.victim not in change.routed]
        statuses = Counter(o.status or o.error for o in failures)
        breakdown = ", ".join(f"{n} x {status}" for status, n in statuses.items()) or "none"
        run.figure("failed requests", f"{len(failures)} ({breakdown})")
        if failures:
            first = min(o.started for o in failures) - self.killed
            last = max(o.started + o.latency for o in failures) - self.killed
            run.figure("failure window", f"{first:+.3f}s to {last:+.3f}s after the kill")
        run.figure("controller took it out", f"{unrouted[0] - self.killed:.2f}s after the kill" if unrouted
                   else "never: it was back before a probe round saw it down")
        run.figure("fleet serves fully again", f"{serving - self.killed:.2f}s after the kill "
                                               f"(restart took {self.restarted - self.killed:.2f}s)")


class BackendOutage(Scenario):
    """Stops a backend, starts it again, and checks that only the requests needing it failed, with
    503, and only while it was away."""

    backend_label = ""
    affected: frozenset[str] = frozenset()

    def backend(self, fleet: Fleet):
        raise NotImplementedError

    def deadline(self, fleet: Fleet) -> float:
        return OUTAGE + RECOVERY_LIMIT + 30

    async def act(self, run: Run) -> None:
        fleet, backend = run.fleet, self.backend(run.fleet)
        self.down = run.event(f"stopping {self.backend_label}")
        await backend.stop()
        self.stopped = run.event(f"{self.backend_label} stopped")
        await asyncio.sleep(OUTAGE)
        await backend.start()
        self.back = run.event(f"{self.backend_label} answering again")
        self.ready_again = self.back + await wait_until(
            lambda: self._all_ready(fleet), RECOVERY_LIMIT, "every replica ready again", interval=0.05)
        run.event("every replica ready again")

    @staticmethod
    async def _all_ready(fleet: Fleet) -> bool:
        states = fleet.controller.states
        return all(states.get(replica.name) and states[replica.name].state == READY for replica in fleet.replicas)

    async def verify(self, run: Run) -> None:
        affected = [o for o in run.outcomes if o.kind in self.affected]
        others = [o for o in run.outcomes if o.kind not in self.affected]
        failures = [o for o in affected if not o.ok]
        other_failures = sum(not o.ok for o in others)
        label = "/".join(sorted(self.affected))
        run.check(other_failures == 0, f"{other_failures} requests that do not need {self.backend_label} failed")
        run.check(bool(failures), f"no {label} request failed: the outage was not observed")
        not_503 = Counter(o.status or o.error for o in failures if o.status != 503)
        run.check(not not_503, f"{label} failed otherwise than 503 dependency_unavailable: {dict(not_503)}")
        outside = [o for o in failures
                   if o.started < self.down - EARLY_MARGIN or o.started > self.back + RECOVERY_LIMIT]
        run.check(not outside, f"{len(outside)} {label} failures outside the outage and its "
                               f"{RECOVERY_LIMIT:.0f}s recovery bound")
        run.figure("outage", f"{self.back - self.down:.2f}s ({self.backend_label} stopped, {OUTAGE:g}s away, started)")
        run.figure(f"{label} answered 503", f"{len(failures)} of {len(affected)}")
        run.figure("other requests failed", str(other_failures))
        if failures:
            last_failure = max(o.started + o.latency for o in failures)
            run.figure("first 503 after the stop began", f"{min(o.started for o in failures) - self.down:+.3f}s")
            run.figure("recovery (last 503 after it was back)", f"{max(0.0, last_failure - self.back):.2f}s")
        run.figure("every replica ready again", f"{self.ready_again - self.back:.2f}s after it was back")


class RedisRestart(BackendOutage):
    name = "redis-restart"
    summary = "stop and restart Redis under load: /hits 503 only meanwhile, no hit lost or counted twice"
    backend_label = "redis"
    affected = frozenset({"hits"})
    needs = affected

    def backend(self, fleet: Fleet):
        return fleet.redis

    def hits_that_could_count(self, run: Run) -> list[Outcome]:
        # Only those in flight when Redis went away, or that waited out REDIS_TIMEOUT_MS (applied
        # late); the rest failed fast, on a refused connection or the pool's backoff.
        timeout = run.fleet.options.redis_timeout_ms / 1000
        return [o for o in super().hits_that_could_count(run) if o.started <= self.stopped or o.latency >= timeout]


class SearchOutage(BackendOutage):
    name = "es-outage"
    summary = "stop and restart the search server under load: city requests 503 meanwhile, nothing else fails"
    backend_label = "the search server"
    affected = frozenset({"city_put", "city_get"})
    needs = affected

    def backend(self, fleet: Fleet):
        return fleet.search


SCENARIOS = {scenario.name: scenario for scenario in (RollingRestart, ReplicaKill, RedisRestart, SearchOutage)}
