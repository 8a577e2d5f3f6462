# What must exist before any environment: the bucket that holds every environment's Terraform
# state, and the identities GitHub Actions uses to plan, apply, deploy and release (OIDC, no keys).
# Run once per AWS account, by a human with administrator rights.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  project = "petrel"
  account = data.aws_caller_identity.current.account_id
}

module "state_bucket" {
  source = "../modules/bucket"

  name = coalesce(var.state_bucket_name, "${local.project}-terraform-state-${local.account}-${var.region}")
  # Every apply writes a new state version; three months of them is the rollback window.
  noncurrent_version_days = 90
}

# One key per environment for that environment's state object. The backend names it
# (kms_key_id = alias/petrel-<env>/terraform-state, passed by ../tf.sh and the pipeline), so the
# object is SSE-KMS with this key whatever the request would otherwise default to, and reading
# it takes kms:Decrypt on this key: a role that may read every object in the bucket
# (ReadOnlyAccess, as the plan roles have) still reads only its own environment's state.
module "state_key" {
  source   = "../modules/kms-key"
  for_each = toset(var.environments)

  alias       = "${local.project}-${each.key}/terraform-state"
  description = "Terraform state of ${local.project}-${each.key} (env/${each.key}/terraform.tfstate in ${module.state_bucket.name})"
}
