#!/usr/bin/env bash
# Checks a deployed Petrel from outside the cluster, through `kubectl port-forward` to its
# Service: liveness and readiness answer 200, /version names the commit the image was built
# from (so the build arguments reached the binary), one GET /hits adds exactly one to the
# shared count that /hits/current reads, the operations endpoints answer 404 on the serving port
# (the one every Ingress and HTTPRoute routes to), and /metrics is served on the Service's admin
# port.
#
# usage: NAMESPACE=petrel GIT_COMMIT=<sha the image was built from> .github/e2e/probe.sh
set -euo pipefail
namespace=${NAMESPACE:?set NAMESPACE to the namespace Petrel runs in}
expected_commit=${GIT_COMMIT:?set GIT_COMMIT to the commit the image was built from}

# shellcheck source=.github/e2e/port-forward.sh
. "$(dirname "$0")/port-forward.sh"
forward_service "$namespace"
forward_admin "$namespace"

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

for path in /metrics /faults /status/200 /delay/0; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
  [ "$status" = 404 ] || fail "GET $path on the serving port answered $status, expected 404: it belongs to the admin port"
done
for method_path in "POST /faults/enable" "POST /readiness/disable"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -X "${method_path%% *}" "$base${method_path#* }")
  [ "$status" = 404 ] || fail "$method_path on the serving port answered $status, expected 404"
done
metrics=$(curl -fsS "$admin_base/metrics") || fail "GET /metrics on the Service's admin port (9797) failed"
grep -q '^petrel_build_info{' <<<"$metrics" || fail "GET /metrics on the Service's admin port (9797) has no petrel_build_info"

echo "probes: /healthz and /readiness 200, /version commit $commit, /hits $before -> $after," \
  "operations 404 on the serving port, /metrics on the admin port"
