#!/usr/bin/env bash
# Hostile clients against the Petrel binary in PETREL_BIN (CI passes the release build): raw
# sockets on 127.0.0.1 for slow heads and bodies, idle and never-reading clients, early answers,
# the connection cap under a lowered file limit, Connection semantics and framing errors (issue
# 19). Each case must see its answer, the server's close, and no socket left in FIN-WAIT-2 or
# CLOSE-WAIT. Arguments go to scripts/hostile-clients.py (--only TEXT, --list, --keep).
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
# ss (iproute2) shows half-closed sockets; prlimit is Python's own (resource.prlimit).
command -v ss >/dev/null 2>&1 || ensure_apt iproute2
bin="${PETREL_BIN:-.build/debug/petrel}"
[ -x "$bin" ] || die "no petrel binary at $bin: build it first (swift build), or set PETREL_BIN"
PYTHONDONTWRITEBYTECODE=1 exec python3 scripts/hostile-clients.py --bin "$bin" "$@"
