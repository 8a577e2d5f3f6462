# shellcheck shell=bash
# Sourced by the e2e checks: `fail`, and `forward_service` that runs `kubectl port-forward` to
# the petrel Service on a free local port (kubectl picks it and prints it) and sets `base` to
# its URL; the forward is stopped when the script exits.

fail() { echo "::error::$*" >&2; exit 1; }

# forward_service NAMESPACE
forward_service() {
  forward_log=$(mktemp)
  kubectl -n "$1" port-forward service/petrel :80 >"$forward_log" 2>&1 &
  forward=$!
  trap 'kill "$forward" 2>/dev/null || true; rm -f "$forward_log"' EXIT
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$forward_log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || fail "kubectl port-forward did not start: $(cat "$forward_log")"
  # shellcheck disable=SC2034 # read by the script that sources this
  base="http://127.0.0.1:$port"
}
