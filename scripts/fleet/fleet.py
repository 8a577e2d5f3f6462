#!/usr/bin/env python3
"""Petrel's fleet test: N replicas behind nginx, an endpoints controller between their readiness
and nginx's upstream list, Redis and (with the city API) an Elasticsearch-compatible server, all
plain processes on 127.0.0.1; load through nginx while a scenario restarts, kills or cuts things.

    scripts/fleet/fleet.py rolling redis-restart          # what CI runs (scripts/fleet/run.sh)
    scripts/fleet/fleet.py kill --replicas 3 --concurrency 16
    .venv/bin/python scripts/fleet/fleet.py es-outage     # needs the city API and osmem-server

Each scenario gets a fresh fleet and prints a table; the exit status is 0 when every scenario
passed, 1 when one failed its checks, 2 when the fleet could not be set up. Logs of a failed
scenario are kept and their directory is printed. docs/reliability.md explains the scenarios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The shared helpers: petrel_process (starting and stopping servers) and http1 (the HTTP client).
sys.path.insert(0, str(REPO_ROOT / "scripts" / "lib"))

from loadgen import mix_label, parse_mix  # noqa: E402
from petrel_process import ServerError  # noqa: E402
from processes import SetupError, log  # noqa: E402
from scenarios import SCENARIOS, Scenario, execute  # noqa: E402
from stack import Fleet, FleetOptions, has_city_api  # noqa: E402

REQUIRED_TOOLS = ("redis-server", "nginx")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="+", choices=SCENARIOS, metavar="SCENARIO",
                        help=f"one or more of: {', '.join(SCENARIOS)}")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16, help="connections the load keeps busy")
    parser.add_argument("--mix", help="comma-separated parts of: hello, hits, cities "
                                      "(default: all three when the binary has the city API, else hello,hits)")
    parser.add_argument("--drain-seconds", type=float, default=2.0, help="SHUTDOWN_DRAIN_SECONDS of every replica")
    parser.add_argument("--keep", action="store_true", help="keep the logs of passing scenarios too")
    arguments = parser.parse_args()
    if arguments.replicas < 2 or arguments.concurrency < 1:
        parser.error("--replicas must be at least 2 (one serves while another restarts), --concurrency at least 1")
    return arguments


def petrel_binary() -> Path:
    binary = Path(os.environ.get("PETREL_BIN", REPO_ROOT / ".build/release/petrel"))
    if not os.access(binary, os.X_OK):
        raise SetupError(f"no Petrel binary at {binary}: build it (scripts/build-release.sh) or set PETREL_BIN")
    return binary.absolute()


def choose_mix(requested: str | None, binary: Path) -> tuple[str, ...]:
    city_api = has_city_api(binary)
    log(f"city API: {'present' if city_api else 'absent'} in {binary} "
        f"({'CITY_STORE is' if city_api else 'no CITY_STORE'} in its --help)")
    if requested is None:
        requested = "hello,hits,cities" if city_api else "hello,hits"
    try:
        kinds = parse_mix(requested)
    except ValueError as error:
        raise SetupError(str(error)) from None
    if "city_put" in kinds and not city_api:
        raise SetupError(f"--mix {requested} asks for cities, but {binary} has no city API yet")
    log(f"load mix: {requested}")
    return kinds


async def run_scenario(scenario: Scenario, options: FleetOptions, kinds: tuple[str, ...], concurrency: int,
                       keep: bool) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix=f"petrel-fleet-{scenario.name}-"))
    fleet = Fleet(options, workdir)
    passed = False
    try:
        await fleet.start()
        run = await fleet.run(execute(scenario, fleet, kinds, concurrency))
        print(run.report(), flush=True)
        passed = run.passed
    except TimeoutError as error:
        print(f"=== {scenario.name}: FAIL: {error}", flush=True)
    finally:
        await fleet.stop()
        if passed and not keep:
            shutil.rmtree(workdir)
        else:
            log(f"{scenario.name}: logs kept in {workdir}")
    return passed


async def main(arguments: argparse.Namespace) -> int:
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        # Cancelling unwinds every scenario's `finally`, which stops what the fleet started.
        asyncio.get_running_loop().add_signal_handler(stop_signal, asyncio.current_task().cancel)
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise SetupError(f"missing {', '.join(missing)}: run scripts/fleet/run.sh, which installs them")
    binary = petrel_binary()
    kinds = choose_mix(arguments.mix, binary)
    options = FleetOptions(binary=binary, replicas=arguments.replicas, cities="city_put" in kinds,
                           drain_seconds=arguments.drain_seconds, shutdown_timeout_seconds=5.0, redis_timeout_ms=1000)
    scenarios = [SCENARIOS[name]() for name in arguments.scenarios]
    for scenario in scenarios:
        if not scenario.needs <= set(kinds):
            needed = mix_label(scenario.needs)
            hint = " (and a Petrel with the city API)" if "city_put" in scenario.needs else ""
            raise SetupError(f"{scenario.name} needs {needed} in the load mix{hint}; the mix is {mix_label(kinds)}")
    results = {}
    for scenario in scenarios:
        results[scenario.name] = await run_scenario(scenario, options, kinds, arguments.concurrency, arguments.keep)
        print(flush=True)
    print("fleet: " + ", ".join(f"{name} {'PASS' if passed else 'FAIL'}" for name, passed in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_arguments())))
    except (SetupError, ServerError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except asyncio.CancelledError:
        print("fleet: interrupted; every process it started has been stopped", file=sys.stderr)
        sys.exit(130)
