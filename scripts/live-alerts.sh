#!/usr/bin/env bash
# Proves Petrel's alerts fire and resolve for real: a real Prometheus (rules time-compressed
# 30x) scrapes a running Petrel and a stand-in for the cluster's kube-state-metrics and
# cAdvisor, a real Alertmanager routes to a local webhook; fault injection fires the
# availability burn-rate page, turning it off resolves it, kill -9 fires PetrelDown; every
# dashboard query must return data and every rule evaluate without error.
# Prints alert -> time to fire / resolve; exits non-zero if an expected alert does not fire or
# resolve in time, another one fires, or a query or rule fails. Takes about 2 minutes (bounded
# under 4).
# Details: scripts/lib/live_alerts.py, docs/observability.md.
#
# usage: [PETREL_BIN=.build/debug/petrel] scripts/live-alerts.sh
#   PETREL_BIN  the service binary (default .build/debug/petrel). Missing: skipped locally,
#               a failure under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/tools.sh
. scripts/lib/tools.sh

PETREL_BIN="${PETREL_BIN:-.build/debug/petrel}"
if [ ! -x "$PETREL_BIN" ]; then
  [ "${CI:-}" = "true" ] && die "PETREL_BIN=$PETREL_BIN is not an executable; CI must build the service first (swift build)"
  log "SKIP live alerts: PETREL_BIN=$PETREL_BIN is not an executable (build it with swift build, or set PETREL_BIN)"
  exit 0
fi
ensure_apt prometheus prometheus-alertmanager
ensure_pip "${MONITORING_PYTHON[@]}"
for tool in prometheus prometheus-alertmanager; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH although its Debian package is installed"
done
exec python3 scripts/lib/live_alerts.py --petrel-bin "$PETREL_BIN"
