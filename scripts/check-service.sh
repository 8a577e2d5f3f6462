#!/usr/bin/env bash
# Checks a live petrel: its /metrics with promtool, its /openapi.yaml with openapi-spec-validator,
# and the API against that document with schemathesis (every check, a test key, SQLite backends).
set -euo pipefail
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt prometheus curl
ensure_pip openapi-spec-validator==0.7.1
# schemathesis pins a newer `packaging` than checkov accepts: it gets a venv of its own.
TOOLS_VENV="$REPO_ROOT/.venv-schemathesis" ensure_pip schemathesis==4.32.5
# petrel's main thread is parked, not a run loop (Sources/petrel/main.swift): work sent to the
# main actor or the main dispatch queue would never run. (GRDB's ValueObservation delivers on the
# main queue unless told otherwise.)
if main_thread_users=$(grep -rnE '@MainActor|MainActor\.|DispatchQueue\.main|ValueObservation' Sources); then
  printf '%s\n' "$main_thread_users" >&2
  die "Sources use the main actor or the main queue, which petrel's parked main thread never drains"
fi
log "no use of the main actor or the main queue in Sources"
bin="${PETREL_BIN:-.build/debug/petrel}"
[ -x "$bin" ] || die "no petrel binary at $bin: build it first (swift build)"

work=$(mktemp -d)
api_key="schemathesis-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
echo "$api_key" >"$work/api-keys"
HTTP_HOST=127.0.0.1 HTTP_PORT=0 SHUTDOWN_DRAIN_SECONDS=0 DATA_DIR="$work/data" API_KEYS_FILE="$work/api-keys" \
  "$bin" >"$work/out.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=""
for _ in $(seq 1 200); do
  port=$(grep -o '"msg":"listening".*"port":[0-9]*' "$work/out.log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || die "petrel did not start: $(cat "$work/out.log")"

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

kill -TERM "$pid"
wait "$pid" || die "petrel exited non-zero after SIGTERM"
trap 'rm -rf "$work"' EXIT
log "service checks passed"
