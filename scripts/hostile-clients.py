#!/usr/bin/env python3
"""Hostile clients against a Petrel binary, over raw sockets on 127.0.0.1 (issue 19):

  scripts/hostile-clients.py [--bin PETREL] [--only TEXT]... [--list] [--keep]

Slow heads and bodies, idle keep-alive connections, early answers while a body is still coming,
clients that never read, a connection cap under a lowered file limit, Connection semantics,
framing errors, clients that vanish mid-request, and Date/Cache-Control. Each case asserts the
answer, that the server closed the connection, and afterwards that the kernel shows none of the
case's connections in FIN-WAIT-2 or CLOSE-WAIT (scripts/lib/hostile_cases.py says what each
measures; scripts/lib/hostile_net.py is the raw client).

Petrel (PETREL_BIN, or --bin) runs with short timeouts (header 2 s, body 2 s, idle 3 s),
MAX_BODY_BYTES=4 MiB (above the 2 MB body of the early-401 case), an API key file and SQLite
stores; the connection-cap case gets a second instance with HTTP_MAX_CONNECTIONS=20, whose file
limit it lowers while it runs. Prints one line per case, `PASS|FAIL name: detail`, then
`N passed, N failed`; exits 1 when a case failed, 2 when the suite could not run. Every wait is
bounded; the whole run stays under SUITE_SECONDS, cases left over then fail as not run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import hostile_cases as cases  # noqa: E402
from hostile_net import Failure, wait_no_leftovers  # noqa: E402
from petrel_process import Petrel, ServerError, log_tail  # noqa: E402

SUITE_SECONDS = 150   # a case takes at most about 20 s: the run stays under 3 minutes
SETTLE_SECONDS = 3.0    # for the kernel to finish closing the case's connections


class Servers:
    """The Petrel instances the cases run against, started on first use, restarted if one died."""

    def __init__(self, binary: Path, work: Path):
        self.binary, self.work = binary, work
        self.running: dict[str, Petrel] = {}

    def get(self, kind: str) -> Petrel:
        server = self.running.get(kind)
        if server is None or not server.running:
            settings = cases.CAPPED_SETTINGS if kind == "capped" else cases.MAIN_SETTINGS
            server = server or Petrel(self.binary, self.work / kind, settings, name=f"petrel-{kind}")
            server.start()
            self.running[kind] = server
        return server

    def stop(self, kind: str) -> None:
        server = self.running.pop(kind, None)
        if server is not None:
            server.stop()

    def stop_all(self) -> None:
        for kind in list(self.running):
            self.stop(kind)


def run_case(case: cases.Case, servers: Servers) -> tuple[bool, str]:
    server = servers.get(case.server)
    ctx = cases.Context(server)
    ok, detail = True, ""
    try:
        detail = case.run(ctx)
    except Failure as failure:
        ok, detail = False, str(failure)
    except OSError as error:
        ok, detail = False, f"socket error {error!r}"
    except Exception as error:   # a bug in the harness: say so, with where
        where = traceback.extract_tb(error.__traceback__)[-1]
        ok, detail = False, f"harness error {error!r} at {Path(where.filename).name}:{where.lineno}"
    finally:
        ctx.close_all()
    left = wait_no_leftovers(server.port, ctx.ports, SETTLE_SECONDS)
    if ctx.admin_ports:
        left += wait_no_leftovers(server.admin_port, ctx.admin_ports, SETTLE_SECONDS)
    if left:
        ok = False
        detail += (f"; {len(left)} connection(s) half-closed {SETTLE_SECONDS:g}s after the client closed: "
                   + ", ".join(left[:4]) + (" ..." if len(left) > 4 else ""))
    if not server.running:
        ok = False
        status = server.returncode
        how = f"was killed by signal {-status} (not by this suite)" if status < 0 else f"exited with status {status}"
        detail += f"; the server {how}; its log ends:\n{log_tail(server.log_path, 10)}"
    return ok, detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.environ.get("PETREL_BIN", ""), help="the Petrel binary (PETREL_BIN)")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only the cases whose name contains TEXT (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the servers' directories (logs) afterwards")
    args = parser.parse_args()
    selected = [case for case in cases.CASES if not args.only or any(text in case.name for text in args.only)]
    if args.list:
        print("\n".join(case.name for case in selected))
        return 0
    binary = Path(args.bin)
    if not args.bin or not os.access(binary, os.X_OK):
        print(f"error: no Petrel binary at {args.bin!r}: pass --bin or set PETREL_BIN", file=sys.stderr)
        return 2
    if not shutil.which("ss"):
        print("error: `ss` (iproute2) is needed to see half-closed sockets", file=sys.stderr)
        return 2
    if not selected:
        print(f"error: no case matches {args.only}", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="petrel-hostile-"))
    servers = Servers(binary, work)
    started = time.monotonic()
    passed = failed = 0
    try:
        for index, case in enumerate(selected):
            if time.monotonic() - started > SUITE_SECONDS:
                ok, detail, seconds = False, f"not run: the suite passed its {SUITE_SECONDS}s budget", 0.0
            else:
                begun = time.monotonic()
                try:
                    ok, detail = run_case(case, servers)
                except ServerError as error:
                    ok, detail = False, f"the server did not start: {error}"
                seconds = time.monotonic() - begun
            passed += ok
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'} {case.name}: {detail} [{seconds:.1f}s]", flush=True)
            # The capped instance serves one case: stop it once no later case needs it.
            if case.server == "capped" and all(later.server != "capped" for later in selected[index + 1:]):
                servers.stop("capped")
    finally:
        servers.stop_all()
        if args.keep:
            print(f"logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"hostile clients: {time.monotonic() - started:.0f}s", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
