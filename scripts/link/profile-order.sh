#!/usr/bin/env bash
# Regenerates scripts/link/petrel.order: the functions a running Petrel executes, found by running
# the release build under valgrind's callgrind through start-up, requests to every route family
# (SQLite stores, and the hit counter on a private redis-server), and a graceful stop.
# Run it after changes that rename many functions (a dependency update, a large refactor);
# scripts/build-release.sh says when the file has fallen behind. Takes about five minutes.
set -euo pipefail
. "$(dirname "$0")/../lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt valgrind redis-server curl binutils

bin="$(scripts/build-release.sh petrel)/petrel"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# valgrind 3.19 (Debian bookworm) cannot read DWARF 5; the symbol table is all this needs.
strip --strip-debug -o "$work/petrel" "$bin"

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.05; done

# start_profiled NAME ENV... — starts petrel under callgrind with the given settings and waits
# until it is ready; sets pid and url.
start_profiled() {
  local name=$1; shift
  local port; port=$(free_port)
  echo profile-key >"$work/keys"
  env HTTP_HOST=127.0.0.1 HTTP_PORT="$port" READY_MIN_UPTIME_SECONDS=0 SHUTDOWN_DRAIN_SECONDS=0 \
    DATA_DIR="$work/data-$name" API_KEYS_FILE="$work/keys" "$@" \
    valgrind --tool=callgrind --callgrind-out-file="$work/$name.out" --dump-instr=yes \
      --compress-strings=no --compress-pos=no "$work/petrel" >"$work/$name.log" 2>"$work/$name.valgrind" &
  pid=$!
  url="http://127.0.0.1:$port"
  until curl -fs -o /dev/null "$url/readiness"; do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$work/$name.valgrind" >&2; die "petrel under valgrind exited before it was ready"; }
    sleep 0.2
  done
}

# stop_profiled NAME — a graceful stop, which writes the profile.
stop_profiled() {
  kill -TERM "$pid"
  wait "$pid" || die "petrel under valgrind did not stop cleanly; see $work/$1.log"
}

# profile_idle — start-up and what an idle pod serves (probes, the odd /hello), dumped before the
# shutdown so that none of that counts: link_order.py puts these functions first.
profile_idle() {
  start_profiled idle
  for _ in 1 2 3; do
    for path in /hello /healthz /livez /readiness /readyz; do curl -s -o /dev/null "$url$path"; done
    # The kubelet's probes ask for Connection: close, which the router answers.
    for path in /healthz /livez /readiness /readyz; do curl -s -o /dev/null -H 'Connection: close' "$url$path"; done
  done
  callgrind_control --dump=idle "$pid" >/dev/null 2>&1
  stop_profiled idle
  mv "$work/idle.out.1" "$work/0-idle.callgrind"
}

# profile NAME ENV... — every route family, then a graceful stop.
profile() {
  local name=$1
  start_profiled "$@"
  local key=(-H 'X-API-Key: profile-key') json=(-H 'Content-Type: application/json')
  for _ in 1 2 3; do
    for path in / /hello '/hello?name=Ada' /healthz /livez /readiness /readyz /version /metrics /openapi.yaml \
      /hits /no-such-route /cities '/cities?prefix=L&limit=2' /cities/Lisbon /city/Lisbon; do
      curl -s -o /dev/null "$url$path"
    done
    curl -s -o /dev/null -X POST "$url/hits"
    curl -s -o /dev/null -X PUT "${key[@]}" "${json[@]}" -d '{"population": 545923}' "$url/cities/Lisbon"
    curl -s -o /dev/null -X POST "${key[@]}" "${json[@]}" -d '{"name": "Oslo", "population": 709037}' "$url/city"
    curl -s -o /dev/null -X PUT "${json[@]}" -d '{"population": 1}' "$url/cities/Lisbon"
    curl -s -o /dev/null -X PUT "${key[@]}" "${json[@]}" -d '{"population": "many"}' "$url/cities/Lisbon"
    curl -s -o /dev/null -X DELETE "${key[@]}" "$url/cities/Oslo"
    curl -s -o /dev/null -X DELETE "$url/hello"
    curl -s -o /dev/null -H 'X-Request-ID: profile-1' "$url/hello"
  done
  stop_profiled "$name"
  mv "$work/$name.out" "$work/$name.callgrind"
}
log "profiling an idle process"
profile_idle
log "profiling the default configuration (SQLite stores)"
profile sqlite
log "profiling the hit counter on Redis"
profile redis COUNTER_STORE=redis REDIS_URL="redis://127.0.0.1:$redis_port/0"

nm --defined-only --print-size "$work/petrel" >"$work/symbols"
# The idle profile first (the glob sorts 0-idle before the others).
python3 scripts/lib/link_order.py "$work/petrel" "$work/symbols" "$work"/*.callgrind >scripts/link/petrel.order
log "scripts/link/petrel.order: $(grep -cv '^#' scripts/link/petrel.order) functions"
