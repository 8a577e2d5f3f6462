#!/usr/bin/env bash
# One command from a clone to Petrel on a local kind cluster, served through ingress-nginx:
#   1. creates the kind cluster (one node; its port 80 published on 127.0.0.1:PORT), or reuses it;
#   2. installs ingress-nginx (its kind manifest, pinned) and waits for it;
#   3. builds the image from the Dockerfile (the Swift release build inside it takes several
#      minutes the first time; later builds reuse Docker's cache), or takes a built one;
#   4. loads the image into the cluster (no registry involved);
#   5. installs Petrel: the Kustomize dev overlay (default), the Helm chart with values-dev.yaml,
#      or a plain `helm install` with the chart's defaults (no keys, SQLite on a volume);
#   6. waits until every workload is ready, checks /healthz through the ingress (and that /metrics,
#      on the admin port, is not routed there: 404) and prints the curl lines.
# Rerunning it upgrades in place. The e2e workflow (.github/workflows/e2e.yml) runs this script.
#
# usage: scripts/kind.sh [--install kustomize|helm|helm-default] [--image-archive FILE | --skip-build]
#                        [--cluster NAME] [--port PORT]
#        scripts/kind.sh --delete [--cluster NAME]
#   --install        kustomize: kubectl apply -k deploy/kubernetes/overlays/dev (Redis, Elasticsearch,
#                    a throwaway dev key); helm: the chart with values-dev.yaml (the same stack);
#                    helm-default: the chart's defaults, plus only the image tag and an Ingress
#   --image-archive  load this `docker save` archive of ghcr.io/petrel-sre/petrel:dev instead of building
#   --skip-build     use ghcr.io/petrel-sre/petrel:dev as it is in the local Docker engine
#   --cluster        kind cluster name (default petrel; kubectl context kind-NAME)
#   --port           host port for the ingress on 127.0.0.1 (default 80)
# needs: docker, kind (>= 0.24, whose CNI enforces NetworkPolicies), kubectl; helm for the helm installs.
# environment: INGRESS_NGINX_VERSION (default controller-v1.15.1), KIND_NODE_IMAGE (default: kind's own).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=ghcr.io/petrel-sre/petrel:dev
NAMESPACE=petrel
HOST=petrel.localtest.me # public DNS answers 127.0.0.1 for *.localtest.me
INGRESS_NGINX_VERSION="${INGRESS_NGINX_VERSION:-controller-v1.15.1}"
install=kustomize cluster=petrel port=80 archive="" build=true delete=false

die() { printf 'kind.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '\n==> %s\n' "$*" >&2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --install) install="${2:?--install needs kustomize, helm or helm-default}"; shift ;;
    --image-archive) archive="${2:?--image-archive needs a file}"; build=false; shift ;;
    --skip-build) build=false ;;
    --cluster) cluster="${2:?--cluster needs a name}"; shift ;;
    --port) port="${2:?--port needs a number}"; shift ;;
    --delete) delete=true ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
case "$install" in kustomize | helm | helm-default) ;; *) die "--install $install: use kustomize, helm or helm-default" ;; esac
[[ "$port" =~ ^[0-9]+$ ]] || die "--port $port is not a port number"
[ -z "$archive" ] || [ -f "$archive" ] || die "--image-archive $archive: no such file"

need=(kind kubectl)
if [ "$delete" != true ]; then
  [ -n "$archive" ] || need+=(docker)
  case "$install" in helm*) need+=(helm) ;; esac
fi
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null || die "$tool is not installed (see https://kind.sigs.k8s.io/docs/user/quick-start/ and docs/deploy.md)"
done

if [ "$delete" = true ]; then
  kind delete cluster --name "$cluster"
  exit 0
fi

k() { kubectl --context "kind-$cluster" "$@"; }
# retry N CMD... — for the first requests after a controller starts (its admission webhook).
retry() {
  local attempts="$1" i; shift
  for ((i = 1; ; i++)); do
    "$@" && return 0
    [ "$i" -lt "$attempts" ] || return 1
    log "retrying in 10s ($i/$attempts): $*"
    sleep 10
  done
}

# 1. The cluster.
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  log "kind cluster $cluster exists: reusing it"
else
  log "creating kind cluster $cluster (ingress on 127.0.0.1:$port)"
  node_image=()
  [ -z "${KIND_NODE_IMAGE:-}" ] || node_image=(--image "$KIND_NODE_IMAGE")
  kind create cluster --name "$cluster" "${node_image[@]}" --wait 3m --config - <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - {containerPort: 80, hostPort: $port, listenAddress: "127.0.0.1", protocol: TCP}
EOF
fi
# ingress-nginx's kind manifest runs the controller with host ports 80/443 on the node labelled so.
k label node --all ingress-ready=true --overwrite >/dev/null

# 2. ingress-nginx.
log "ingress-nginx $INGRESS_NGINX_VERSION"
k apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/$INGRESS_NGINX_VERSION/deploy/static/provider/kind/deploy.yaml" >/dev/null
k -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout 5m

# 3 and 4. The image.
if [ -n "$archive" ]; then
  log "loading $archive into $cluster"
  kind load image-archive "$archive" --name "$cluster"
else
  if [ "$build" = true ]; then
    log "docker build -t $IMAGE . (the Swift release build: several minutes the first time)"
    docker build -t "$IMAGE" \
      --build-arg VERSION="$(git describe --tags --always 2>/dev/null || echo dev)" \
      --build-arg GIT_COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
      --build-arg BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
  fi
  docker image inspect "$IMAGE" >/dev/null 2>&1 || die "no image $IMAGE in the local Docker engine: build it (drop --skip-build)"
  log "loading $IMAGE into $cluster"
  kind load docker-image "$IMAGE" --name "$cluster"
fi

# 5. Petrel.
chart=deploy/helm/petrel
case "$install" in
  kustomize)
    log "kubectl apply -k deploy/kubernetes/overlays/dev"
    retry 6 k apply -k deploy/kubernetes/overlays/dev
    ;;
  helm | helm-default)
    # The chart does not own its namespace: create it as Kustomize does (base/namespace.yaml is
    # exactly the Namespace the dev overlay renders: Pod Security "restricted").
    k apply -f deploy/kubernetes/base/namespace.yaml
    args=(upgrade --install petrel "$chart" --kube-context "kind-$cluster" --namespace "$NAMESPACE" --wait --timeout 15m)
    if [ "$install" = helm ]; then
      args+=(-f "$chart/values-dev.yaml")
    else
      # The chart's defaults; only the image (the one just loaded) and an Ingress to curl through.
      args+=(--set image.tag=dev --set ingress.enabled=true --set ingress.className=nginx
        --set "ingress.hosts[0].host=$HOST" --set "ingress.hosts[0].paths[0].path=/")
    fi
    log "helm ${args[*]}"
    retry 3 helm "${args[@]}"
    ;;
esac

# 6. Ready, and reachable through the ingress.
log "waiting for the workloads in namespace $NAMESPACE"
mapfile -t workloads < <(k -n "$NAMESPACE" get statefulset,deployment -l app.kubernetes.io/name=petrel -o name)
[ ${#workloads[@]} -gt 0 ] || die "no Petrel workload in namespace $NAMESPACE"
for workload in "${workloads[@]}"; do
  k -n "$NAMESPACE" rollout status "$workload" --timeout 15m
done
base="http://$HOST"
[ "$port" = 80 ] || base="$base:$port"
log "GET $base/healthz through ingress-nginx"
curl -fsS --retry 30 --retry-delay 2 --retry-all-errors --resolve "$HOST:$port:127.0.0.1" "$base/healthz" >/dev/null ||
  die "$base/healthz did not answer through the ingress: kubectl --context kind-$cluster -n $NAMESPACE get ingress,pods"
# Nothing operational through the ingress: /metrics and the switches live on the admin port.
status=$(curl -sS -o /dev/null -w '%{http_code}' --resolve "$HOST:$port:127.0.0.1" "$base/metrics")
[ "$status" = 404 ] || die "$base/metrics answered $status through the ingress, expected 404: the admin port must not be routed"

cat <<EOF

Petrel runs on kind cluster "$cluster" (kubectl context kind-$cluster, namespace $NAMESPACE), installed with $install:

  curl $base/hello
  curl $base/hits
EOF
if [ "$install" = helm-default ]; then
  cat <<EOF

Writes are refused until an API key exists (helm status petrel -n $NAMESPACE prints the steps):
  key=\$(openssl rand -hex 32)
  kubectl --context kind-$cluster -n $NAMESPACE create secret generic petrel-api-keys --from-literal=keys="\$key"
  curl -X PUT -H "X-API-Key: \$key" -H 'Content-Type: application/json' -d '{"population": 709000}' $base/cities/oslo
EOF
else
  cat <<EOF
  curl -X PUT -H "X-API-Key: $(tr -d '[:space:]' <deploy/kubernetes/overlays/dev/api-keys.dev)" \\
    -H 'Content-Type: application/json' -d '{"population": 709000}' $base/cities/oslo
  curl $base/cities/oslo
EOF
fi
cat <<EOF

Operations (/metrics, /faults, /readiness/disable|enable, /status, /delay) are on the admin port,
which the ingress does not route:
  kubectl --context kind-$cluster -n $NAMESPACE port-forward svc/petrel 9797 &
  curl http://127.0.0.1:9797/metrics

(If your resolver refuses *.localtest.me: curl --resolve $HOST:$port:127.0.0.1 ...)
Remove it: scripts/kind.sh --delete$([ "$cluster" = petrel ] || echo " --cluster $cluster")
EOF
