#!/usr/bin/env bash
# Runs Terraform for one environment of environments/: deploy/terraform/tf.sh ENV COMMAND [ARGS...]
#   TF_STATE_BUCKET=<bootstrap output state_bucket> TF_STATE_REGION=us-east-1 deploy/terraform/tf.sh dev init
#   deploy/terraform/tf.sh dev plan -out=dev.tfplan && deploy/terraform/tf.sh dev apply dev.tfplan
# Every environment has its own state object (env/ENV/terraform.tfstate) and its own .terraform/
# directory, and gets its own ENV/terraform.tfvars, so no command can mix two environments.
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

case $command in
  init)
    : "${TF_STATE_BUCKET:?set TF_STATE_BUCKET to the state bucket (bootstrap output state_bucket)}"
    : "${TF_STATE_REGION:?set TF_STATE_REGION to the region of the state bucket (bootstrap output state_region)}"
    exec terraform -chdir="$root" init -input=false -reconfigure \
      -backend-config="bucket=$TF_STATE_BUCKET" \
      -backend-config="key=env/$env/terraform.tfstate" \
      -backend-config="region=$TF_STATE_REGION" "$@"
    ;;
  apply)
    # A saved plan already carries its variables; Terraform refuses -var-file next to one.
    for arg in "$@"; do
      [[ $arg == -* ]] || exec terraform -chdir="$root" apply "$@"
    done
    exec terraform -chdir="$root" apply -var-file="$env/terraform.tfvars" "$@"
    ;;
  plan | destroy | import | refresh | console)
    exec terraform -chdir="$root" "$command" -var-file="$env/terraform.tfvars" "$@"
    ;;
  *)
    exec terraform -chdir="$root" "$command" "$@"
    ;;
esac
