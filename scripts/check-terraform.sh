#!/usr/bin/env bash
# Checks the Terraform offline: fmt, init + validate and `terraform test` (mock_provider "aws")
# for every module, for each environment with its own tfvars, and for bootstrap; shellcheck of
# this script and the environment wrapper, and the wrapper's test; checkov with zero failed
# checks. Then the emulator stage: the bootstrap and every environment applied, re-planned (no
# changes allowed) and destroyed against an AWS API emulator (moto_server on 127.0.0.1), with an
# inventory after each destroy, prod's change tests and the state encryption read back
# (docs/infrastructure.md, "What the emulator proves"). The hashicorp/aws provider comes from
# the machine's filesystem mirror; the registry is never contacted.
#
# usage: scripts/check-terraform.sh [--emulator-only]
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

emulator_only=false
case "${1:-}" in
  "") ;;
  --emulator-only) emulator_only=true ;;
  *) die "usage: $0 [--emulator-only]" ;;
esac

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

# --- Against an AWS API emulator ------------------------------------------------------------------
# Each root module gets its own moto_server (so the four run side by side and an inventory sees
# only its own module's objects) and its own copy of deploy/terraform with the overrides of
# deploy/terraform/tests/emulator merged in: endpoints and test credentials, local state, the
# resources the emulator cannot serve left out and its read-back gaps ignored. The modules
# themselves are applied as they are.
emulator_version=5.2.5
emulator_dir="$tf/tests/emulator"

# The steps of emulate (below); they read its root, dir and cwd.
# step NAME CMD... — runs and times one step; the worker stops at the first that fails.
step() {
  local name=$1 status=0 step_started=$SECONDS
  shift
  printf '\n=== %s: %s\n' "$root" "$name"
  "$@" || status=$?
  printf '=== %s: %s: exit %d after %ds\n' "$root" "$name" "$status" $((SECONDS - step_started))
  return "$status"
}
# into FILE CMD... — CMD's output goes to FILE.
into() {
  local file=$1
  shift
  "$@" >"$file"
}
tf_apply() { terraform -chdir="$cwd" apply -input=false -no-color -auto-approve "$@"; }
# replan VAR_FILES... — a second plan with the same inputs must find nothing to change (exit 0, not 2).
replan() { terraform -chdir="$cwd" plan -input=false -no-color -detailed-exitcode "$@"; }
# change_test NAME VAR_FILES... — plans the change as AWS would get it (without the emulator's
# update gaps, modules/eks/emulator_updates_override.tf) and checks that plan (emulator.py
# check-plan); then plans it again with the gaps ignored (and what the emulator can only apply
# by replacing it replaced: emulator.py workarounds), applies that, and re-plans to no changes.
# The state is fresh from the step before, so the two change plans skip the refresh.
change_test() {
  local name=$1 gaps="$dir/tf/modules/eks/emulator_updates_override.tf" status=0 workarounds=()
  shift
  mv "$gaps" "$gaps.off"
  terraform -chdir="$cwd" plan -input=false -no-color -refresh=false -out="$dir/$name.check.tfplan" "$@" >"$dir/$name.plan.txt" ||
    status=$?
  mv "$gaps.off" "$gaps"
  [ "$status" -eq 0 ] || { cat "$dir/$name.plan.txt"; return "$status"; }
  terraform -chdir="$cwd" show -json "$dir/$name.check.tfplan" >"$dir/$name.plan.json" &&
    "${emulator_py[@]}" check-plan "$dir/$name.plan.json" "$name" &&
    mapfile -t workarounds < <("${emulator_py[@]}" workarounds "$dir/$name.plan.json") &&
    terraform -chdir="$cwd" plan -input=false -no-color -refresh=false -out="$dir/$name.tfplan" "${workarounds[@]}" "$@" >/dev/null &&
    terraform -chdir="$cwd" apply -input=false -no-color "$dir/$name.tfplan" &&
    replan "$@"
}

# emulate ROOT PORT — apply, re-plan and destroy one root module (bootstrap, or an environment
# with its tfvars) against the emulator on PORT, then take an inventory. Writes its one-line result to ROOT/result.
emulate() {
  local root=$1 port=$2 endpoint="http://127.0.0.1:$2" dir="$emulator_work/$1" module=environments
  local vars=() started=$SECONDS applied excluded region left
  [ "$root" = bootstrap ] && module=bootstrap || vars=(-var-file="$root/terraform.tfvars")
  local cwd="$dir/tf/$module"
  export TF_VAR_emulator_endpoint=$endpoint AWS_ENDPOINT_URL=$endpoint

  step "inventory before" into "$dir/before.json" "${emulator_py[@]}" inventory "$endpoint" us-east-1 || return 1
  step apply tf_apply "${vars[@]}" || return 1
  applied=$(terraform -chdir="$cwd" show -json | "${emulator_py[@]}" count /dev/stdin)
  excluded=$(terraform -chdir="$cwd" output -json emulator_excluded | python3 -c 'import json, sys; print(sum(json.load(sys.stdin).values()))')
  region=$(terraform -chdir="$cwd" output -raw "$([ "$root" = bootstrap ] && echo state_region || echo region)")
  step "re-plan: no changes" replan "${vars[@]}" || return 1

  if [ "$root" = bootstrap ]; then
    step "state encrypted with each environment's key" state_encryption_test "$cwd" "$endpoint" "$dir" || return 1
  fi
  if [ "$root" = prod ]; then
    # Another node instance type, then zone a out and zone d in: nothing with a fixed name
    # replaced, no zone that stays loses its egress.
    vars+=(-var-file="$REPO_ROOT/$emulator_dir/changes/instance-type.tfvars")
    step "change test: node instance type" change_test instance-type "${vars[@]}" || return 1
    vars+=(-var-file="$REPO_ROOT/$emulator_dir/changes/azs.tfvars")
    step "change test: azs" change_test azs "${vars[@]}" || return 1
  fi

  step destroy terraform -chdir="$cwd" destroy -input=false -no-color -auto-approve "${vars[@]}" || return 1
  step "inventory after destroy" into "$dir/after.json" "${emulator_py[@]}" inventory "$endpoint" "$region" || return 1
  step "nothing left but KMS keys pending deletion" into "$dir/left.txt" \
    "${emulator_py[@]}" leftovers "$dir/before.json" "$dir/after.json" || return 1
  left=$(cat "$dir/left.txt")
  printf '%s: applied %d, excluded %d, left after destroy %s; re-plan no changes%s; %ds\n' \
    "$root" "$applied" "$excluded" "$left" "$([ "$root" = prod ] && echo "; change tests (instance type, azs) passed")" \
    $((SECONDS - started)) >"$dir/result"
}

# state_encryption_test BOOTSTRAP_DIR ENDPOINT WORK_DIR — with the bootstrap applied, writes each
# environment's state through the real backend block (environments/versions.tf) and tf.sh's
# init, to the emulated state bucket, and reads the object's encryption back: SSE-KMS with the
# environment's own state key. Then empties the bucket, so that the bootstrap can be destroyed.
state_encryption_test() {
  local cwd=$1 endpoint=$2 dir=$3 bucket region keys env
  bucket=$(terraform -chdir="$cwd" output -raw state_bucket)
  region=$(terraform -chdir="$cwd" output -raw state_region)
  keys=$(terraform -chdir="$cwd" output -json state_kms_keys)
  # An untouched copy: the real backend "s3" block, no emulator overrides.
  mkdir -p "$dir/plain" && tar -C "$tf" --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' -cf - . | tar -C "$dir/plain" -xf -
  cat >"$dir/emulator.s3.tfbackend" <<BACKEND
endpoints                   = { s3 = "$endpoint", sts = "$endpoint" }
access_key                  = "test"
secret_key                  = "test"
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
use_path_style              = true
BACKEND
  printf '{"version": 4, "terraform_version": "%s", "serial": 1, "lineage": "7d4c3f8e-0a41-4c47-9d0e-5f6a1c2b3d4e", "outputs": {}, "resources": [], "check_results": null}\n' \
    "$tf_version" >"$dir/empty.tfstate"
  # Read-back gap: moto 5.2.5 ignores bucket policy conditions, so the bucket's TLS-only Deny
  # statements would refuse every request, TLS or not. AWS applies them as written.
  "${emulator_py[@]}" delete-bucket-policy "$endpoint" "$bucket" || return 1
  for env in $(python3 -c 'import json, sys; print(*json.loads(sys.argv[1]))' "$keys"); do
    TF_STATE_BUCKET=$bucket TF_STATE_REGION=$region "$dir/plain/tf.sh" "$env" init -no-color \
      -backend-config="$dir/emulator.s3.tfbackend" >/dev/null || return 1
    "$dir/plain/tf.sh" "$env" state push "$dir/empty.tfstate" || return 1
    "${emulator_py[@]}" state-encryption "$endpoint" "$bucket" "env/$env/terraform.tfstate" \
      "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]]["arn"])' "$keys" "$env")" || return 1
  done
  "${emulator_py[@]}" empty-bucket "$endpoint" "$bucket"
}

emulator_stage() {
  local root port vars failed=() results=()
  [ -x "$TOOLS_VENV/bin/moto_server" ] || ensure_pip "moto[server]==$emulator_version"
  emulator_py=("$TOOLS_VENV/bin/python" "$REPO_ROOT/$emulator_dir/emulator.py")
  emulator_work=$(mktemp -d "${TMPDIR:-/tmp}/petrel-tf-emulator.XXXXXX")
  emulator_pids=() worker_pids=()
  trap emulator_cleanup EXIT
  trap 'exit 130' INT TERM
  # Nothing but the emulator: no credentials, profiles or instance metadata of this machine, no
  # proxy between Terraform and 127.0.0.1.
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 MOTO_IAM_LOAD_MANAGED_POLICIES=true
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

  local roots=(bootstrap)
  for vars in "$tf"/environments/*/terraform.tfvars; do
    vars=${vars%/terraform.tfvars}
    roots+=("${vars##*/}")
  done
  log "emulator: moto $emulator_version, ${roots[*]}, side by side"
  for root in "${roots[@]}"; do
    mkdir -p "$emulator_work/$root/tf"
    tar -C "$tf" --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' -cf - . | tar -C "$emulator_work/$root/tf" -xf -
    cp -R "$emulator_dir/bootstrap" "$emulator_dir/environments" "$emulator_dir/modules" "$emulator_work/$root/tf/"
    cp "$emulator_dir/provider_override.tf" "$emulator_work/$root/tf/bootstrap/"
    cp "$emulator_dir/provider_override.tf" "$emulator_work/$root/tf/environments/"
    # One at a time: concurrent inits would race on the plugin cache.
    terraform -chdir="$emulator_work/$root/tf/$([ "$root" = bootstrap ] && echo bootstrap || echo environments)" \
      init -input=false -no-color >/dev/null || die "emulator: terraform init failed for $root"
    port=$(free_port)
    "$TOOLS_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$emulator_work/$root/moto.log" 2>&1 &
    emulator_pids+=($!)
    "${emulator_py[@]}" wait "http://127.0.0.1:$port" || die "emulator: moto_server for $root did not start (see $emulator_work/$root/moto.log)"
    # Job control gives each worker its own process group, so that cleanup can stop the group.
    set -m
    emulate "$root" "$port" >"$emulator_work/$root/log" 2>&1 &
    worker_pids+=($!)
    set +m
  done
  for i in "${!roots[@]}"; do
    if wait "${worker_pids[$i]}" && [ -s "$emulator_work/${roots[$i]}/result" ]; then
      results+=("emulator $(cat "$emulator_work/${roots[$i]}/result")")
      # Its steps with their times, and what the checks read back from plans and the emulator.
      grep -E '^(=== .*: exit [0-9]+ after|>> )' "$emulator_work/${roots[$i]}/log" >&2 || true
    else
      failed+=("${roots[$i]}")
      printf '\n----- emulator: %s failed; its log:\n' "${roots[$i]}" >&2
      cat "$emulator_work/${roots[$i]}/log" >&2
    fi
  done
  worker_pids=()
  [ ${#failed[@]} -eq 0 ] || die "emulator stage failed for: ${failed[*]} (logs above)"
  summary+=("${results[@]}")
}

# Stops what the emulator stage started, each by its process ID (a worker with its process group).
emulator_cleanup() {
  local pid
  for pid in "${worker_pids[@]}"; do kill -- -"$pid" 2>/dev/null || true; done
  for pid in "${emulator_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${emulator_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$emulator_work"
}

if $emulator_only; then
  emulator_stage
  printf '%s\n' "${summary[@]}" >&2
  log "terraform emulator stage passed"
  exit 0
fi

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

# The emulator overrides are fragments merged into copies of the modules, not configuration of
# their own; checkov reads the modules themselves.
checkov_output=$(offline checkov -d "$tf" --framework terraform --skip-download --compact --quiet --skip-path tests/emulator 2>&1) || {
  printf '%s\n' "$checkov_output" >&2
  die "checkov found failed checks in $tf (fix them, or skip one next to its resource with a reason)"
}
summary+=("checkov: $(printf '%s\n' "$checkov_output" | grep -Eo 'Passed checks: [0-9]+, Failed checks: [0-9]+, Skipped checks: [0-9]+' | tail -1)")

emulator_stage

printf '%s\n' "${summary[@]}" >&2
log "terraform checks passed"
