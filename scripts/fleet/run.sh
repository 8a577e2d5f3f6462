#!/usr/bin/env bash
# CI entry of the fleet test: a rolling restart and a Redis restart under load, against PETREL_BIN
# (default .build/release/petrel), three replicas behind nginx. Fails on any failed request during
# the rolling restart, a /hits failure outside the Redis outage, a lost or doubly counted hit, and
# on any tool it cannot install (it never skips). Other scenarios can be named instead:
#
#   scripts/fleet/run.sh                        # rolling redis-restart (30-40 s)
#   scripts/fleet/run.sh kill es-outage         # es-outage needs a build with the city API
#   PETREL_BIN=.build/debug/petrel scripts/fleet/run.sh
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/../lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt nginx redis-server
# The Elasticsearch-compatible server for the city API, into the repo's .venv.
ensure_pip osmem-server==0.1.6
[ $# -gt 0 ] || set -- rolling redis-restart
# No __pycache__ beside the scripts in the working tree.
PYTHONDONTWRITEBYTECODE=1 exec "$TOOLS_VENV/bin/python" scripts/fleet/fleet.py "$@"
