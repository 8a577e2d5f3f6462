#!/usr/bin/env bash
# Checks which terraform command line deploy/terraform/tf.sh builds for each way of writing its
# arguments, with a stand-in terraform that prints its arguments: every plan, destroy and apply
# without a saved plan gets the environment's var file, whatever form its options take (-target
# module.x, -target=module.x, --target module.x, -var 'a=b'); an apply of a saved plan does not
# (Terraform refuses one); init names the environment's state object and state key.
# Run by scripts/check-terraform.sh; needs nothing but bash.
set -euo pipefail

tf_sh="$(cd "$(dirname "$0")/.." && pwd)/tf.sh"
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
cat >"$stub/terraform" <<'STUB'
#!/usr/bin/env bash
printf '%s\n' "TF_DATA_DIR=$TF_DATA_DIR" "$@"
STUB
chmod +x "$stub/terraform"

failures=0 checks=0
# expect DESCRIPTION yes|no PATTERN -- TF_SH_ARGS... — PATTERN must (yes) or must not (no) be one
# of the arguments terraform receives.
expect() {
  local description=$1 want=$2 pattern=$3 output found=no
  shift 4
  output=$(PATH="$stub:$PATH" TF_STATE_BUCKET=state-bucket TF_STATE_REGION=us-east-1 "$tf_sh" "$@")
  grep -qxF -- "$pattern" <<<"$output" && found=yes
  checks=$((checks + 1))
  if [ "$found" != "$want" ]; then
    failures=$((failures + 1))
    printf 'FAIL: %s: tf.sh %s\n  %s %s; terraform got:\n%s\n' "$description" "$*" \
      "$([ "$want" = yes ] && echo expected || echo "did not expect")" "$pattern" "    ${output//$'\n'/$'\n'    }" >&2
  fi
}

var_file=-var-file=dev/terraform.tfvars
expect "apply, no arguments" yes "$var_file" -- dev apply
expect "apply -target ADDR (value as the next argument)" yes "$var_file" -- dev apply -target module.eks
expect "apply -target=ADDR" yes "$var_file" -- dev apply -target=module.eks
expect "apply --target ADDR" yes "$var_file" -- dev apply --target module.eks
expect "apply -replace ADDR -auto-approve" yes "$var_file" -- dev apply -replace module.eks.aws_eks_node_group.default -auto-approve
expect "apply -var 'NAME=VALUE'" yes "$var_file" -- dev apply -var 'node_group={ min_size = 3 }'
expect "apply -var-file OTHER" yes "$var_file" -- dev apply -var-file extra.tfvars
expect "apply -lock-timeout 5m -target ADDR" yes "$var_file" -- dev apply -lock-timeout 5m -target module.network
expect "apply PLAN" no "$var_file" -- dev apply dev.tfplan
expect "apply -input=false PLAN" no "$var_file" -- dev apply -input=false -auto-approve dev.tfplan
expect "apply -lock-timeout 5m PLAN" no "$var_file" -- dev apply -lock-timeout 5m dev.tfplan
expect "plan -target ADDR -out PLAN" yes "$var_file" -- dev plan -target module.eks -out dev.tfplan
expect "destroy -target ADDR" yes "$var_file" -- dev destroy -target module.registry
expect "import ADDR ID" yes "$var_file" -- dev import module.registry.aws_ecr_repository.this petrel-dev
expect "output" no "$var_file" -- dev output -raw cluster_name
expect "staging gets its own var file" yes -var-file=staging/terraform.tfvars -- staging apply -target module.eks
expect "its own .terraform directory" yes "TF_DATA_DIR=$(dirname "$tf_sh")/environments/prod/.terraform" -- prod plan
expect "init: the environment's state object" yes -backend-config=key=env/prod/terraform.tfstate -- prod init
expect "init: the environment's state key" yes -backend-config=kms_key_id=alias/petrel-prod/terraform-state -- prod init

if [ "$failures" -gt 0 ]; then
  echo "tf.sh: $failures of $checks checks failed" >&2
  exit 1
fi
echo "tf.sh: $checks checks passed"
