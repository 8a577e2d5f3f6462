#!/usr/bin/env bash
# Checks the Terraform offline: fmt, init + validate and `terraform test` (mock_provider "aws")
# for every module, for each environment with its own tfvars, and for bootstrap; shellcheck of
# this script and the environment wrapper, and the wrapper's test; checkov with zero failed checks. The hashicorp/aws provider comes from
# the machine's filesystem mirror; the registry is never contacted.
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

command -v terraform >/dev/null ||
  die "terraform is not installed: install Terraform 1.11+ (HashiCorp's apt repository or releases.hashicorp.com)"
ensure_apt shellcheck
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
tf_version=$(terraform version -json | python3 -c 'import json, sys; print(json.load(sys.stdin)["terraform_version"])')
[ "$(printf '%s\n' 1.11.0 "$tf_version" | sort -V | head -1)" = 1.11.0 ] ||
  die "terraform $tf_version is too old: 1.11+ is needed (S3 lock files, test mocks)"

tf=deploy/terraform
summary=()

# init_and_validate DIR — installs the provider from the mirror and validates DIR.
init_and_validate() {
  log "terraform validate: $1"
  (cd "$1" && terraform init -backend=false -input=false -no-color >/dev/null && terraform validate -no-color >/dev/null) ||
    die "terraform init/validate failed in $1"
}

# run_tests LABEL DIR [TEST ARGS...] — runs `terraform test` in DIR and records how many runs passed.
run_tests() {
  local label=$1 dir=$2 output
  shift 2
  if ! output=$(cd "$dir" && terraform test -no-color "$@" 2>&1); then
    printf '%s\n' "$output" >&2
    die "terraform test failed: $label"
  fi
  summary+=("$label: $(printf '%s\n' "$output" | grep -Eo '[0-9]+ passed, [0-9]+ failed' | tail -1)")
}

terraform fmt -check -recursive -diff "$tf" || die "terraform fmt: run 'terraform fmt -recursive $tf'"

for dir in "$tf"/modules/*/; do
  dir=${dir%/}
  init_and_validate "$dir"
  [ -d "$dir/tests" ] || die "$dir has no tests/: every module gets a mock-provider test"
  run_tests "modules/${dir##*/}" "$dir"
done

# One configuration for all environments; each is planned and applied (mocked) with its own inputs.
init_and_validate "$tf/environments"
for vars in "$tf"/environments/*/terraform.tfvars; do
  env_dir=${vars%/terraform.tfvars}
  run_tests "environments/${env_dir##*/}" "$tf/environments" \
    -var-file="${env_dir##*/}/terraform.tfvars" -filter=tests/environment.tftest.hcl
done
run_tests "environments (guardrails)" "$tf/environments" -filter=tests/guardrails.tftest.hcl

init_and_validate "$tf/bootstrap"
run_tests bootstrap "$tf/bootstrap"

offline shellcheck -x scripts/check-terraform.sh "$tf/tf.sh" "$tf/tests/tf_sh_test.sh" || die "shellcheck found problems (above)"
summary+=("$(offline "$tf/tests/tf_sh_test.sh")") || die "tf.sh builds the wrong terraform command lines (above)"

checkov_output=$(offline checkov -d "$tf" --framework terraform --skip-download --compact --quiet 2>&1) || {
  printf '%s\n' "$checkov_output" >&2
  die "checkov found failed checks in $tf (fix them, or skip one next to its resource with a reason)"
}
summary+=("checkov: $(printf '%s\n' "$checkov_output" | grep -Eo 'Passed checks: [0-9]+, Failed checks: [0-9]+, Skipped checks: [0-9]+' | tail -1)")

printf '%s\n' "${summary[@]}" >&2
log "terraform checks passed"
