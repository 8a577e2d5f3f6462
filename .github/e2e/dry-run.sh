#!/usr/bin/env bash
# Every install path the offline checks render, validated by a real API server: the chart with
# each values file (default, values-*.yaml, ci/*-values.yaml) and the Kustomize dev overlay with
# the Gateway API component, as server-side dry runs (schemas of built-in kinds and of the
# Gateway API CRDs, defaulting, admission: Pod Security, the ingress-nginx webhook). The cluster
# gets the Gateway API CRDs; it has no Prometheus Operator, so rendering without its API
# versions also shows the chart leaving ServiceMonitor and PrometheusRule out (.Capabilities).
#
# usage: NAMESPACE=petrel .github/e2e/dry-run.sh
set -euo pipefail
namespace=${NAMESPACE:?set NAMESPACE to the namespace Petrel runs in}
chart=deploy/helm/petrel
gateway_api=v1.3.0

kubectl apply --server-side -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$gateway_api/standard-install.yaml" >/dev/null
kubectl wait --for=condition=Established crd/httproutes.gateway.networking.k8s.io --timeout 1m

# A namespace of its own: the release installed in $namespace would turn these into updates,
# and some changes between values files (the Deployment's strategy) are not valid updates.
dry_ns="$namespace-dry-run"
kubectl create namespace "$dry_ns" --dry-run=client -o yaml | kubectl apply -f -
kubectl label --overwrite namespace "$dry_ns" pod-security.kubernetes.io/enforce=restricted \
  pod-security.kubernetes.io/enforce-version=latest pod-security.kubernetes.io/warn=restricted
for values in default "$chart"/values-*.yaml "$chart"/ci/*-values.yaml; do
  echo "::group::helm template, $values: kubectl apply --dry-run=server"
  args=()
  [ "$values" = default ] || args=(-f "$values")
  # ingress-nginx's admission webhook refuses a host and path another Ingress serves already:
  # the installed release's petrel.localtest.me.
  if [ "$values" = "$chart/values-dev.yaml" ]; then
    args+=(--set "ingress.hosts[0].host=dry-run.localtest.me" --set "ingress.hosts[0].paths[0].path=/")
  fi
  helm template petrel "$chart" --namespace "$dry_ns" "${args[@]}" \
    --api-versions gateway.networking.k8s.io/v1/HTTPRoute >"$RUNNER_TEMP/render.yaml"
  if grep -q '^kind: \(ServiceMonitor\|PrometheusRule\)$' "$RUNNER_TEMP/render.yaml"; then
    echo "::error::$values: ServiceMonitor/PrometheusRule rendered for a cluster without the Prometheus Operator"
    exit 1
  fi
  kubectl apply --dry-run=server -f "$RUNNER_TEMP/render.yaml"
  echo "::endgroup::"
done
kubectl delete namespace "$dry_ns" --wait=false

# Its objects are in $namespace (the overlay names it): updates of what the e2e installed there.
echo "::group::Kustomize dev + components/gateway-api: kubectl apply --dry-run=server"
variant=$(mktemp -d -p .)
trap 'rm -rf "$variant"' EXIT
cat >"$variant/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $namespace
resources: [../deploy/kubernetes/overlays/dev]
components: [../deploy/kubernetes/components/gateway-api]
YAML
kubectl apply --dry-run=server -k "$variant"
echo "::endgroup::"
