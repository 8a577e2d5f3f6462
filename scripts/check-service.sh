#!/usr/bin/env bash
# Checks a live petrel: its /metrics with promtool, its /openapi.yaml with openapi-spec-validator,
# and the API against that document with schemathesis (every check, a test key, SQLite backends).
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt prometheus curl
ensure_pip openapi-spec-validator==0.7.1
# schemathesis pins a newer `packaging` than checkov accepts: it gets a venv of its own.
TOOLS_VENV="$REPO_ROOT/.venv-schemathesis" ensure_pip schemathesis==4.32.5
bin="${PETREL_BIN:-.build/debug/petrel}"
[ -x "$bin" ] || die "no petrel binary at $bin: build it first (swift build)"

work=$(mktemp -d)
trap 'petrel_process stop --dir "$work/petrel" --signal KILL >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
started=$(petrel_process start --dir "$work/petrel" --bin "$bin")
read -r port _ _ <<<"$started"
api_key=$(cat "$work/petrel/api-keys")

for path in / /hello /nope /healthz /readiness; do curl -fs -o /dev/null "http://127.0.0.1:$port$path" || true; done
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt"
log "promtool check metrics: clean ($(grep -c '^# TYPE' "$work/metrics.txt") metric families)"

curl -fsS "http://127.0.0.1:$port/openapi.yaml" >"$work/openapi.yaml"
openapi-spec-validator "$work/openapi.yaml"

# Left out on purpose: the operator switches (faults on makes every later answer a random 500,
# readiness off makes every later probe 503), and /delay and /status, which only wait or echo.
log "schemathesis: every operation, every check"
(cd "$work" && "$REPO_ROOT/.venv-schemathesis/bin/schemathesis" --config-file "$REPO_ROOT/scripts/schemathesis.toml" \
  run openapi.yaml --url "http://127.0.0.1:$port" \
  --checks all --header "X-API-Key: $api_key" --exclude-path-regex '^/(faults|delay|status|readiness/)' \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --seed 1 --no-color) || die "schemathesis found failures (above)"

petrel_process stop --dir "$work/petrel" || die "petrel exited non-zero after SIGTERM"
log "service checks passed"
