#!/usr/bin/env bash
# Checks Petrel's monitoring kit (deploy/monitoring): generated copies in sync with their one
# source (plus the generator's lint: metric names, window suffixes, runbook anchors), promtool
# syntax check and unit tests of the rules, the Grafana dashboard's queries (promtool, metric
# names against the service's live /metrics), the Alertmanager example (amtool check-config,
# a routing test per shipped alert), yamllint and shellcheck. Installs what it needs; exits
# non-zero on any failure. The live proof that alerts fire is scripts/live-alerts.sh.
#
# usage: [PETREL_BIN=.build/debug/petrel] scripts/check-monitoring.sh
#   PETREL_BIN  the service binary whose /metrics the dashboard's metric names are checked
#               against (default .build/debug/petrel). Missing: checked against the metric
#               contract list instead locally, a failure under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/tools.sh
. scripts/lib/tools.sh
ensure_apt prometheus prometheus-alertmanager shellcheck
ensure_pip "${MONITORING_PYTHON[@]}" yamllint==1.38.0

PETREL_BIN="${PETREL_BIN:-.build/debug/petrel}"
if [ -x "$PETREL_BIN" ]; then
  # Starts the service on 127.0.0.1, so it cannot run without a network namespace.
  metric_names=(python3 scripts/check-dashboard.py --petrel-bin "$PETREL_BIN")
elif [ "${CI:-}" = "true" ]; then
  die "PETREL_BIN=$PETREL_BIN is not an executable; CI must build the service first (swift build)"
else
  log "PETREL_BIN=$PETREL_BIN is not an executable: dashboard metric names are checked against the contract list, not the live service"
  metric_names=(offline python3 scripts/check-dashboard.py --contract)
fi

pass=0
step() { log "$1"; shift; "$@"; pass=$((pass + 1)); }
step "generator --check (drift + lint)" offline python3 scripts/gen-monitoring.py --check
step "promtool check rules (source)" offline promtool check rules deploy/monitoring/rules/petrel.rules.yaml
step "promtool check rules (Helm copy)" offline promtool check rules deploy/helm/petrel/files/prometheus-rules.yaml
step "promtool test rules" offline promtool test rules deploy/monitoring/tests/*.test.yaml
step "dashboard queries (structure, promtool, metric names)" "${metric_names[@]}"
step "alertmanager (amtool check-config, routing per alert, inhibit matchers)" offline python3 scripts/check-alertmanager.py
# Line length off: PromQL selectors and test series are one line each.
step "yamllint" offline yamllint -d '{extends: default, rules: {line-length: disable, document-start: disable, truthy: {check-keys: false}}}' deploy/monitoring
step "shellcheck" offline shellcheck -x scripts/check-monitoring.sh scripts/live-alerts.sh
echo "check-monitoring: $pass/$pass checks passed"
