#!/usr/bin/env bash
# A plain `helm install` needs no Secret: the pod starts with the optional API keys volume
# empty, serves reads and refuses writes. Creating the Secret the chart names (NOTES.txt) is
# enough: the kubelet fills the volume in and the service picks the keys file up, without a
# restart. Then a write with the key succeeds.
#
# usage: NAMESPACE=petrel .github/e2e/keys-later.sh
set -euo pipefail
namespace=${NAMESPACE:?set NAMESPACE to the namespace Petrel runs in}
secret=petrel-api-keys # the chart's name for release "petrel" (NOTES.txt prints it)
# shellcheck source=.github/e2e/port-forward.sh
. "$(dirname "$0")/port-forward.sh"

! kubectl -n "$namespace" get secret "$secret" >/dev/null 2>&1 || fail "Secret $secret exists already: this check needs an install without it"

forward_service "$namespace"

restarts() { kubectl -n "$namespace" get pods -l app.kubernetes.io/component=api -o jsonpath='{range .items[*]}{.status.containerStatuses[0].restartCount}{" "}{end}'; }
before_restarts=$(restarts)
key=$(openssl rand -hex 32)
city="e2e-keys-$(date +%s)"
put() { curl -sS -o "$1" -w '%{http_code}' -X PUT -H "X-API-Key: $key" -H 'Content-Type: application/json' -d '{"population": 42}' "$base/cities/$city"; }

status=$(curl -sS -o /dev/null -w '%{http_code}' "$base/hits")
[ "$status" = 200 ] || fail "GET /hits answered $status without keys; reads must work"
body=$(mktemp)
status=$(put "$body")
echo "PUT without any keys file: $status $(cat "$body")"
case "$status" in 2??) fail "a write was accepted although no API key exists" ;; esac

digest=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
kubectl -n "$namespace" create secret generic "$secret" --from-literal=keys="sha256:$digest"
# The kubelet refreshes Secret volumes on its sync period (about a minute), the service within a second.
for attempt in $(seq 60); do
  status=$(put "$body")
  case "$status" in 2??) break ;; esac
  sleep 5
done
echo "PUT after the Secret appeared (attempt $attempt): $status $(cat "$body")"
case "$status" in 2??) ;; *) fail "writes still refused 5 minutes after the Secret was created" ;; esac
status=$(curl -sS -o /dev/null -w '%{http_code}' "$base/cities/$city")
[ "$status" = 200 ] || fail "GET /cities/$city answered $status after the write"
curl -sS -o /dev/null -X DELETE -H "X-API-Key: $key" "$base/cities/$city"
[ "$(restarts)" = "$before_restarts" ] || fail "the pod restarted (restarts: $before_restarts -> $(restarts)); the keys must be picked up live"
echo "keys picked up without a restart (restarts: $(restarts))"
