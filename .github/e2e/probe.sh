#!/usr/bin/env bash
# Checks a deployed Petrel from outside the cluster, through `kubectl port-forward` to its
# Service: liveness and readiness answer 200, /version names the commit the image was built
# from (so the build arguments reached the binary), and one GET /hits adds exactly one to the
# shared count that /hits/current reads.
#
# usage: NAMESPACE=petrel GIT_COMMIT=<sha the image was built from> .github/e2e/probe.sh
set -euo pipefail
namespace=${NAMESPACE:?set NAMESPACE to the namespace Petrel runs in}
expected_commit=${GIT_COMMIT:?set GIT_COMMIT to the commit the image was built from}

fail() { echo "::error::$*" >&2; exit 1; }

# Port 0: kubectl picks a free local port on 127.0.0.1 and prints it.
forward_log=$(mktemp)
kubectl -n "$namespace" port-forward service/petrel :80 >"$forward_log" 2>&1 &
forward=$!
trap 'kill "$forward" 2>/dev/null || true; rm -f "$forward_log"' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$forward_log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "kubectl port-forward did not start: $(cat "$forward_log")"
base="http://127.0.0.1:$port"

for path in /healthz /readiness; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
  [ "$status" = 200 ] || fail "GET $path answered $status, expected 200"
done

commit=$(curl -fsS "$base/version" | jq -r .commit)
[ "$commit" = "$expected_commit" ] || fail "/version names commit '$commit'; the image was built from $expected_commit"

count() { curl -fsS -H 'Accept: application/json' "$base/hits/current" | jq -r .hits; }
before=$(count)
curl -fsS -o /dev/null "$base/hits"
after=$(count)
[ "$after" -eq $((before + 1)) ] || fail "one GET /hits took the count from $before to $after"

echo "probes: /healthz and /readiness 200, /version commit $commit, /hits $before -> $after"
