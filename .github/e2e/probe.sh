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

# shellcheck source=.github/e2e/port-forward.sh
. "$(dirname "$0")/port-forward.sh"
forward_service "$namespace"

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
