# shellcheck shell=bash
# Sourced by the e2e checks: `fail`, `forward_service` that runs `kubectl port-forward` to the
# petrel Service's serving port (80, "http") on a free local port (kubectl picks it and prints it)
# and sets `base` to its URL, and `forward_admin` that does the same for its admin port (9797,
# "admin": /metrics and the operator endpoints, which no Ingress routes to) and sets `admin_base`.
# The forwards are stopped when the script exits.

fail() { echo "::error::$*" >&2; exit 1; }

forward_pids=() forward_logs=()
trap 'kill "${forward_pids[@]}" 2>/dev/null || true; rm -f "${forward_logs[@]}"' EXIT

# forward NAMESPACE SERVICE_PORT — sets `forwarded` to the local URL.
forward() {
  local log port=""
  log=$(mktemp)
  forward_logs+=("$log")
  kubectl -n "$1" port-forward service/petrel ":$2" >"$log" 2>&1 &
  forward_pids+=("$!")
  for _ in $(seq 100); do
    port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || fail "kubectl port-forward to service/petrel:$2 did not start: $(cat "$log")"
  forwarded="http://127.0.0.1:$port"
}

# forward_service NAMESPACE
forward_service() {
  forward "$1" 80
  # shellcheck disable=SC2034 # read by the script that sources this
  base=$forwarded
}

# forward_admin NAMESPACE
forward_admin() {
  forward "$1" 9797
  # shellcheck disable=SC2034 # read by the script that sources this
  admin_base=$forwarded
}
