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
