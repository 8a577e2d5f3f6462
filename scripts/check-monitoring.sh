#!/usr/bin/env bash
# Checks Petrel's Prometheus rules: generated copies in sync with the one source (plus the
# generator's lint: metric names, window suffixes, runbook anchors), promtool syntax check,
# promtool unit tests, yamllint (line length off: PromQL selectors and test series are one line each). Installs what it needs; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/tools.sh
ensure_apt prometheus
ensure_pip PyYAML==6.0.3 yamllint==1.38.0

pass=0
step() { log "$1"; shift; "$@"; pass=$((pass + 1)); }
step "generator --check (drift + lint)" offline python3 scripts/gen-monitoring.py --check
step "promtool check rules (source)" offline promtool check rules deploy/monitoring/rules/petrel.rules.yaml
step "promtool check rules (Helm copy)" offline promtool check rules deploy/helm/petrel/files/prometheus-rules.yaml
step "promtool test rules" offline promtool test rules deploy/monitoring/tests/*.test.yaml
step "yamllint" offline yamllint -d '{extends: default, rules: {line-length: disable, document-start: disable, truthy: {check-keys: false}}}' deploy/monitoring
echo "check-monitoring: $pass/$pass checks passed"
