#!/usr/bin/env bash
# Checks a live petrel's /metrics with promtool and its /openapi.yaml with openapi-spec-validator.
set -euo pipefail
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt prometheus curl
ensure_pip openapi-spec-validator==0.7.1
bin="${PETREL_BIN:-.build/debug/petrel}"
[ -x "$bin" ] || die "no petrel binary at $bin: build it first (swift build)"

work=$(mktemp -d)
HTTP_HOST=127.0.0.1 HTTP_PORT=0 SHUTDOWN_DRAIN_SECONDS=0 DATA_DIR="$work/data" "$bin" >"$work/out.log" 2>&1 &
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

kill -TERM "$pid"
wait "$pid" || die "petrel exited non-zero after SIGTERM"
trap 'rm -rf "$work"' EXIT
log "service checks passed"
