#!/usr/bin/env bash
# Runs Terraform for one environment of environments/: deploy/terraform/tf.sh ENV COMMAND [ARGS...]
#   TF_STATE_BUCKET=<bootstrap output state_bucket> TF_STATE_REGION=us-east-1 deploy/terraform/tf.sh dev init
#   deploy/terraform/tf.sh dev plan -out=dev.tfplan && deploy/terraform/tf.sh dev apply dev.tfplan
# Every environment has its own state object (env/ENV/terraform.tfstate, SSE-KMS with the
# environment's state key alias/petrel-ENV/terraform-state from the bootstrap) and its own
# .terraform/ directory, and gets its own ENV/terraform.tfvars, so no command can mix two
# environments. tests/tf_sh_test.sh checks which commands get the var file.
set -euo pipefail

usage() {
  echo "usage: $0 dev|staging|prod COMMAND [terraform arguments]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
env=$1 command=$2
shift 2

root="$(cd "$(dirname "$0")" && pwd)/environments"
[ -f "$root/$env/terraform.tfvars" ] || {
  echo "error: unknown environment '$env': there is no $root/$env/terraform.tfvars" >&2
  exit 2
}
export TF_DATA_DIR="$root/$env/.terraform"

# Options of terraform plan and apply that take a value, which may follow as the next argument
# (Go's flag syntax: -target module.x as well as -target=module.x; one or two dashes).
value_options='^--?(backup|lock-timeout|parallelism|replace|state|state-out|target|var|var-file|out|generate-config-out)$'

case $command in
  init)
    : "${TF_STATE_BUCKET:?set TF_STATE_BUCKET to the state bucket (bootstrap output state_bucket)}"
    : "${TF_STATE_REGION:?set TF_STATE_REGION to the region of the state bucket (bootstrap output state_region)}"
    exec terraform -chdir="$root" init -input=false -reconfigure \
      -backend-config="bucket=$TF_STATE_BUCKET" \
      -backend-config="key=env/$env/terraform.tfstate" \
      -backend-config="region=$TF_STATE_REGION" \
      -backend-config="kms_key_id=alias/petrel-$env/terraform-state" "$@"
    ;;
  apply)
    # A saved plan already carries its variables; Terraform refuses -var-file next to one. The
    # plan file is an argument that is no option and no option's value: `-target module.x` and
    # `-var 'a=b'` hand their value over as the next argument, `-target=module.x` in the same one.
    saved_plan=false previous=
    for arg in "$@"; do
      if [[ $arg != -* && ! $previous =~ $value_options ]]; then
        saved_plan=true
      fi
      previous=$arg
    done
    if $saved_plan; then
      exec terraform -chdir="$root" apply "$@"
    fi
    exec terraform -chdir="$root" apply -var-file="$env/terraform.tfvars" "$@"
    ;;
  plan | destroy | import | refresh | console)
    exec terraform -chdir="$root" "$command" -var-file="$env/terraform.tfvars" "$@"
    ;;
  *)
    exec terraform -chdir="$root" "$command" "$@"
    ;;
esac
