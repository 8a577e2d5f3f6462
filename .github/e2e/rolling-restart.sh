#!/usr/bin/env bash
# Restarts the petrel Deployment under steady load (load-generator.yaml) and fails if a single
# request fails. The load keeps going until every old pod has drained and exited, so each
# SIGTERM, readiness flip and endpoint removal of the rollout happens under traffic.
#
# usage: NAMESPACE=petrel .github/e2e/rolling-restart.sh
set -euo pipefail
namespace=${NAMESPACE:?set NAMESPACE to the namespace Petrel runs in}
here=$(dirname "$0")
api_pods=app.kubernetes.io/name=petrel,app.kubernetes.io/component=api

kubectl create namespace ingress-nginx --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$here/load-generator.yaml"
kubectl -n ingress-nginx wait --for=condition=Ready pod/petrel-load --timeout 2m
sleep 5 # some traffic against the settled deployment first

mapfile -t old_pods < <(kubectl -n "$namespace" get pods -l "$api_pods" -o name)
kubectl -n "$namespace" rollout restart deployment/petrel
kubectl -n "$namespace" rollout status deployment/petrel --timeout 5m
# Old pods turn unready at SIGTERM but keep serving for the drain; wait until they are gone.
kubectl -n "$namespace" wait --for=delete "${old_pods[@]}" --timeout 2m
sleep 5

kubectl -n ingress-nginx exec petrel-load -- touch /work/stop
kubectl -n ingress-nginx wait --for=jsonpath='{.status.phase}'=Succeeded pod/petrel-load --timeout 1m || true
kubectl -n ingress-nginx logs pod/petrel-load
phase=$(kubectl -n ingress-nginx get pod petrel-load -o jsonpath='{.status.phase}')
if [ "$phase" != Succeeded ]; then
  echo "::error::requests failed during the rolling restart (load generator: $phase)" >&2
  exit 1
fi
