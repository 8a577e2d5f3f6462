#!/usr/bin/env bash
# Checks a live petrel: its /metrics (on the admin listener, ADMIN_PORT) with promtool, its
# /openapi.yaml with openapi-spec-validator, that the operations endpoints answer 404 on the
# public port, and the API against that document with schemathesis (every check, a test key,
# SQLite backends): the public paths against the public port, GET /metrics and GET /faults
# against the admin port.
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
admin_port=$(petrel_process admin-port --dir "$work/petrel")
api_key=$(cat "$work/petrel/api-keys")
public="http://127.0.0.1:$port" admin="http://127.0.0.1:$admin_port"

# The public edge serves only the API: every operations endpoint answers 404 there (an Ingress
# routes every path to this port), and is served on the admin port.
status() { curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $api_key" "$@"; }
for request in "GET /metrics" "GET /faults" "GET /status/200" "GET /delay/0" "POST /faults/enable" \
  "POST /faults/disable" "POST /readiness/disable" "POST /readiness/enable"; do
  read -r method path <<<"$request"
  got=$(status -X "$method" "$public$path")
  [ "$got" = 404 ] || die "$method $path on the public port answered $got, expected 404 (it belongs to the admin port)"
done
for request in "GET /metrics" "GET /faults" "GET /status/200" "GET /delay/0" "POST /faults/disable" "POST /readiness/enable"; do
  read -r method path <<<"$request"
  got=$(status -X "$method" "$admin$path")
  [ "$got" = 200 ] || die "$method $path on the admin port answered $got, expected 200"
done
got=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$admin/faults/disable")
[ "$got" = 401 ] || die "POST /faults/disable without a key on the admin port answered $got, expected 401"
log "operations endpoints: 404 on the public port, served on the admin port (switches need the key)"

for path in / /hello /nope /healthz /readiness; do curl -fs -o /dev/null "$public$path" || true; done
curl -fsS "$admin/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt"
log "promtool check metrics: clean ($(grep -c '^# TYPE' "$work/metrics.txt") metric families)"

curl -fsS "$public/openapi.yaml" >"$work/openapi.yaml"
openapi-spec-validator "$work/openapi.yaml"

# Two runs, one per listener. The public port: every operation but the admin listener's (those
# answer 404 there). The admin port: GET /metrics and GET /faults. Left out on purpose: the
# operator switches (faults on makes every later answer a random 500, readiness off makes every
# later probe 503), and /delay and /status, which only wait or echo (their 404 on the public port
# and their answers on the admin port are checked above).
schemathesis() {
  (cd "$work" && "$REPO_ROOT/.venv-schemathesis/bin/schemathesis" --config-file "$REPO_ROOT/scripts/schemathesis.toml" \
    run openapi.yaml --checks all --header "X-API-Key: $api_key" \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --seed 1 --no-color "$@") || die "schemathesis found failures (above)"
}
log "schemathesis, public port: every public operation, every check"
schemathesis --url "$public" --exclude-path-regex '^/(metrics|faults|delay|status|readiness/)'
log "schemathesis, admin port: GET /metrics and GET /faults, every check"
schemathesis --url "$admin" --include-path-regex '^/(metrics|faults)$'

petrel_process stop --dir "$work/petrel" || die "petrel exited non-zero after SIGTERM"
log "service checks passed"
