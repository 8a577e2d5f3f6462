#!/usr/bin/env bash
# The replica count an HPA chose survives an upgrade: the Deployment carries no spec.replicas
# (chart and Kustomize), so neither `kubectl apply -k` nor `helm upgrade` resets it.
#
# kind has no metrics-server, so the HPA cannot compute a utilisation; it still enforces its
# bounds. Raising minReplicas to 2 makes the HPA itself scale the Deployment to 2 (the stand-in
# for a choice made under load). The upgrade then re-applies the HPA with minReplicas 1: were
# spec.replicas in the manifests, it would put the Deployment back to 1 at that moment.
#
# usage: NAMESPACE=petrel INSTALL=kustomize|helm .github/e2e/replicas-survive-upgrade.sh
set -euo pipefail
namespace=${NAMESPACE:?set NAMESPACE to the namespace Petrel runs in}
install=${INSTALL:?set INSTALL to kustomize or helm}
fail() { echo "::error::$*" >&2; exit 1; }
replicas() { kubectl -n "$namespace" get deployment petrel -o jsonpath='{.spec.replicas}'; }

min_before=$(kubectl -n "$namespace" get hpa petrel -o jsonpath='{.spec.minReplicas}')
echo "before: HPA minReplicas $min_before, Deployment replicas $(replicas)"
[ "$min_before" -lt 2 ] || fail "expected the dev HPA's minReplicas below 2, found $min_before"

kubectl -n "$namespace" patch hpa petrel --type merge -p '{"spec":{"minReplicas":2}}'
kubectl -n "$namespace" wait deployment/petrel --for=jsonpath='{.spec.replicas}'=2 --timeout 3m
kubectl -n "$namespace" rollout status deployment/petrel --timeout 5m
echo "the HPA scaled the Deployment to $(replicas)"

case "$install" in
  kustomize)
    kubectl apply -k deploy/kubernetes/overlays/dev
    ;;
  helm)
    # A changed pod annotation: a real rollout, not a no-op.
    helm upgrade petrel deploy/helm/petrel --namespace "$namespace" -f deploy/helm/petrel/values-dev.yaml \
      --set-string "podAnnotations.e2e/upgraded-at=$(date +%s)" --wait --timeout 10m
    ;;
  *) fail "INSTALL=$install: use kustomize or helm" ;;
esac

min_after=$(kubectl -n "$namespace" get hpa petrel -o jsonpath='{.spec.minReplicas}')
[ "$min_after" = "$min_before" ] || fail "the upgrade did not re-apply the HPA (minReplicas $min_after, expected $min_before)"
after=$(replicas)
[ "$after" = 2 ] || fail "the upgrade reset the Deployment to $after replicas; the HPA had chosen 2"
kubectl -n "$namespace" rollout status deployment/petrel --timeout 5m
after=$(replicas)
[ "$after" = 2 ] || fail "after the rollout the Deployment has $after replicas; the HPA had chosen 2"
echo "after the upgrade: HPA minReplicas $min_after, Deployment replicas still $after"
