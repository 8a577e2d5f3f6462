#!/usr/bin/env bash
# Checks the Terraform offline: fmt, init + validate and `terraform test` (mock_provider "aws")
# for every module and environment, and checkov. The hashicorp/aws provider comes from the
# machine's filesystem mirror; the registry is never contacted.
set -euo pipefail
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
command -v terraform >/dev/null || die "terraform is not installed (1.11+ needed)"
ensure_pip checkov==3.3.30

mirror=$(find / -maxdepth 6 -type d -path '*registry.terraform.io/hashicorp/aws' 2>/dev/null | head -1 || true)
[ -n "$mirror" ] || die "no filesystem mirror of registry.terraform.io/hashicorp/aws on this machine: terraform init cannot run offline"
mirror_root=${mirror%/registry.terraform.io/hashicorp/aws}
mkdir -p .tools/terraform/plugin-cache
cat >.tools/terraform/cli.tfrc <<CONF
provider_installation {
  filesystem_mirror {
    path    = "$mirror_root"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
plugin_cache_dir = "$REPO_ROOT/.tools/terraform/plugin-cache"
CONF
export TF_CLI_CONFIG_FILE="$REPO_ROOT/.tools/terraform/cli.tfrc" TF_IN_AUTOMATION=1

terraform fmt -check -recursive deploy/terraform
passed=0
for dir in deploy/terraform/modules/*/ deploy/terraform/environments/*/; do
  [ -d "$dir" ] || continue
  log "terraform: $dir"
  (cd "$dir" && terraform init -backend=false -input=false >/dev/null && terraform validate -no-color >/dev/null)
  if [ -d "$dir/tests" ]; then (cd "$dir" && terraform test -no-color | tail -1); fi
  passed=$((passed + 1))
done

offline checkov -d deploy/terraform --framework terraform --skip-download --compact --quiet
log "terraform checks passed: $passed modules and environments"
