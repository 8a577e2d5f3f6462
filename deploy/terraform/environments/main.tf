# One environment of Petrel: network, EKS, IAM, image registry and snapshot bucket. All three
# environments run this same configuration; what differs lives in <env>/terraform.tfvars.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  project = "petrel"
  name    = "${local.project}-${var.environment}"
  account = data.aws_caller_identity.current.account_id
}

module "network" {
  source = "../modules/network"

  name                    = local.name
  cluster_name            = local.name
  cidr                    = var.vpc_cidr
  azs                     = var.azs
  single_nat_gateway      = var.single_nat_gateway
  flow_log_retention_days = var.log_retention_days
}

module "iam" {
  source = "../modules/iam"

  name                 = local.name
  oidc_provider_arn    = module.eks.oidc_provider_arn
  oidc_issuer          = module.eks.oidc_issuer
  snapshot_bucket_arn  = module.snapshots.arn
  snapshot_kms_key_arn = module.snapshots.kms_key_arn
}

module "eks" {
  source = "../modules/eks"

  name                    = local.name
  kubernetes_version      = var.kubernetes_version
  subnet_ids              = module.network.private_subnet_ids
  cluster_role_arn        = module.iam.cluster_role_arn
  node_role_arn           = module.iam.node_role_arn
  ebs_csi_driver_role_arn = module.iam.ebs_csi_driver_role_arn

  endpoint_public_access        = var.endpoint_public_access
  endpoint_public_access_cidrs  = var.endpoint_public_access_cidrs
  endpoint_private_access_cidrs = var.endpoint_private_access_cidrs
  cluster_admin_arns            = [for role in var.cluster_admin_role_names : "arn:${data.aws_partition.current.partition}:iam::${local.account}:role/${role}"]
  log_retention_days            = var.log_retention_days

  # Attributes left out of var.node_group are null here, which keeps the module's defaults.
  node_instance_types = var.node_group.instance_types
  node_capacity_type  = var.node_group.capacity_type
  node_min_size       = var.node_group.min_size
  node_desired_size   = var.node_group.desired_size
  node_max_size       = var.node_group.max_size
}

module "registry" {
  source = "../modules/registry"

  name = local.name
}

module "snapshots" {
  source = "../modules/bucket"

  # Bucket names are global: the account ID keeps two installations from colliding.
  name = "${local.name}-es-snapshots-${local.account}"
  # Elasticsearch deletes old snapshots itself; a deleted or overwritten file stays recoverable this long.
  noncurrent_version_days = 30
}
