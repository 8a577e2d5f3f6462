#!/usr/bin/env bash
# Throughput and latency of Petrel against two references measured in the same run: a bare
# Hummingbird server with the same /hello (the baseline) and nginx returning the same fixed body
# (the ceiling). Release build; wrk -t1 -c64 -d10s --latency; rounds interleaved so drift in the
# machine affects every target alike. Not run by CI: figures on shared CI machines mean little.
#
#   scripts/bench.sh                 # 3 rounds of 10 s
#   ROUNDS=1 DURATION=5s scripts/bench.sh
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt wrk nginx curl redis-server

ROUNDS="${ROUNDS:-3}" DURATION="${DURATION:-10s}" CONNECTIONS="${CONNECTIONS:-64}"
# Both built as shipped (scripts/build-release.sh), so the comparison is like with like.
bin="$(scripts/build-release.sh petrel HelloBaseline)"
# The link just wrote hundreds of MiB: flush them now, or SQLite's first fsync at start waits on it.
sync

work=$(mktemp -d)
servers=() pids=()   # the directories of the servers petrel_process started; the PIDs of the others
cleanup() {
  for dir in "${servers[@]}"; do petrel_process stop --dir "$dir" --timeout 5 >/dev/null 2>&1 || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# start DIR ARG... — petrel_process start: Petrel, or the COMMAND after --, in DIR; returns once
# it answers (/readiness, or --ready PATH). Sets port, pid and ready_ms (from spawn to that answer).
start() {
  local started
  started=$(petrel_process start --dir "$@") || die "could not start the server in $1 (above)"
  servers+=("$1")
  read -r port pid ready_ms <<<"$started"
}

# Petrel: every middleware on, JSON logs to a file (as in production, where stdout is collected).
start "$work/petrel" --bin "$bin/petrel" --api-key bench-key --set READY_MIN_UPTIME_SECONDS=0
petrel_port=$port petrel_pid=$pid
# One city to read back (city API on SQLite, the default).
curl -fsS -o /dev/null -X PUT -H 'X-API-Key: bench-key' -H 'Content-Type: application/json' \
  -d '{"population": 545923}' "http://127.0.0.1:$petrel_port/cities/Lisbon"

# A second Petrel with the hit counter on Redis, and redis-benchmark as that path's ceiling.
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.01; done
start "$work/petrel-redis" --bin "$bin/petrel" --set COUNTER_STORE=redis --set REDIS_URL="redis://127.0.0.1:$redis_port/0"
petrel_redis_port=$port

baseline_port=$(free_port)
start "$work/baseline" --port "$baseline_port" --ready /hello -- "$bin/HelloBaseline" "$baseline_port"
baseline_pid=$pid

nginx_port=$(free_port)
body=$(curl -fs "http://127.0.0.1:$petrel_port/hello")
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { default_type application/json; return 200 '$body'; }
  }
}
CONF
start "$work/nginx" --port "$nginx_port" --ready /hello -- nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"

petrel_idle=$(rss_kib "$petrel_pid"); baseline_idle=$(rss_kib "$baseline_pid")

# target name → url
declare -A url=(
  [petrel/hello]="http://127.0.0.1:$petrel_port/hello"
  [petrel/healthz]="http://127.0.0.1:$petrel_port/healthz"
  [petrel/metrics]="http://127.0.0.1:$petrel_port/metrics"
  [petrel/hits-sqlite]="http://127.0.0.1:$petrel_port/hits"
  [petrel/hits-redis]="http://127.0.0.1:$petrel_redis_port/hits"
  [petrel/city-sqlite]="http://127.0.0.1:$petrel_port/cities/Lisbon"
  [baseline/hello]="http://127.0.0.1:$baseline_port/hello"
  [nginx/hello]="http://127.0.0.1:$nginx_port/hello"
)
order=(baseline/hello petrel/hello nginx/hello petrel/healthz petrel/metrics petrel/hits-redis petrel/hits-sqlite petrel/city-sqlite)
extra_targets="${EXTRA_TARGETS:-}"   # "name=url name=url" — later issues add endpoints here
for pair in $extra_targets; do url[${pair%%=*}]="${pair#*=}"; order+=("${pair%%=*}"); done

# Start to ready: STARTS fresh processes one after the other, each on a new port (Petrel with an
# empty DATA_DIR, so SQLite creates its files as on a pod's first start), stopped with SIGKILL.
# The median is the figure; the first start may also find caches cold, so it is printed apart.
STARTS="${STARTS:-7}"
start_times() { # kind → sets median_ms and first_ms
  local times=() index dir
  for index in $(seq 1 "$STARTS"); do
    dir="$work/start-$1-$index"
    if [ "$1" = petrel ]; then
      start "$dir" --bin "$bin/petrel" --set READY_MIN_UPTIME_SECONDS=0
    else
      port=$(free_port)
      start "$dir" --port "$port" --ready /hello -- "$bin/HelloBaseline" "$port"
    fi
    times+=("$ready_ms")
    petrel_process stop --dir "$dir" --signal KILL >/dev/null || true
  done
  median_ms=$(median "${times[*]}") first_ms=${times[0]}
}

declare -A rps p50 p99
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v+0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v*1000 } else print v }'; }
for round in $(seq 1 "$ROUNDS"); do
  for target in "${order[@]}"; do
    out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${url[$target]}")
    r=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
    [ -z "$errors" ] || log "$target round $round: $errors"
    rps[$target]="${rps[$target]:-} $r"
    p50[$target]="${p50[$target]:-} $(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")"
    p99[$target]="${p99[$target]:-} $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
    log "round $round $target: $r req/s"
  done
done

petrel_loaded=$(rss_kib "$petrel_pid"); baseline_loaded=$(rss_kib "$baseline_pid")
# The load wrote hundreds of MiB of log lines: flush them first, or the first start's SQLite
# fsync waits behind them (ext4 commits other files' dirty data with it).
sync
start_times petrel; petrel_ready_ms=$median_ms petrel_first_ms=$first_ms
start_times baseline; baseline_ready_ms=$median_ms baseline_first_ms=$first_ms
base=$(median "${rps[baseline/hello]}"); ceiling=$(median "${rps[nginx/hello]}")
printf '\nwrk -t1 -c%s -d%s --latency, median of %s rounds\n\n' "$CONNECTIONS" "$DURATION" "$ROUNDS"
# paired: each round's figure over the baseline's in the same round, then the median, so drift
# in the machine between rounds cancels out.
paired() { paste -d' ' <(tr ' ' '\n' <<<"$1" | grep -v '^$') <(tr ' ' '\n' <<<"${rps[baseline/hello]}" | grep -v '^$') | awk '{printf "%s ", 100*$1/$2}'; }
printf '%-22s %10s %9s %9s %12s %10s %12s\n' target req/s p50_ms p99_ms vs_baseline vs_nginx paired_vs_bl
for target in "${order[@]}"; do
  r=$(median "${rps[$target]}")
  printf '%-22s %10.0f %9.3f %9.3f %11.1f%% %9.1f%% %11.1f%%\n' "$target" "$r" "$(median "${p50[$target]}")" \
    "$(median "${p99[$target]}")" "$(awk -v a="$r" -v b="$base" 'BEGIN{print 100*a/b}')" \
    "$(awk -v a="$r" -v b="$ceiling" 'BEGIN{print 100*a/b}')" "$(median "$(paired "${rps[$target]}")")"
done
printf '\n%-22s %10s %12s %18s %14s\n' process idle_MiB loaded_MiB "start_to_ready_ms" first_start_ms
printf '%-22s %10.1f %12.1f %18s %14s\n' petrel "$(awk -v k="$petrel_idle" 'BEGIN{print k/1024}')" \
  "$(awk -v k="$petrel_loaded" 'BEGIN{print k/1024}')" "$petrel_ready_ms" "$petrel_first_ms"
printf '%-22s %10.1f %12.1f %18s %14s\n' baseline "$(awk -v k="$baseline_idle" 'BEGIN{print k/1024}')" \
  "$(awk -v k="$baseline_loaded" 'BEGIN{print k/1024}')" "$baseline_ready_ms" "$baseline_first_ms"
printf '(start to ready: median of %s fresh starts, polled every ~5 ms by scripts/lib/petrel_process.py)\n' "$STARTS"

incr=$(redis-benchmark -p "$redis_port" -t incr -c "$CONNECTIONS" -n 200000 --csv | awk -F'"' '$2 == "INCR" {print $4}')
printf '\nredis-benchmark -t incr -c %s (ceiling of /hits on Redis): %s req/s; petrel/hits-redis is %.1f%% of it\n' \
  "$CONNECTIONS" "$incr" "$(awk -v a="$(median "${rps[petrel/hits-redis]}")" -v b="$incr" 'BEGIN{print 100*a/b}')"
