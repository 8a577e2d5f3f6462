# EKS control plane: API reachable privately from the VPC, publicly only when asked and only from
# named CIDRs; Kubernetes Secrets envelope-encrypted with a customer-managed key; every control
# plane log type kept in an encrypted log group; IAM access entries instead of the aws-auth ConfigMap.

data "aws_partition" "current" {}

locals {
  log_group_name = "/aws/eks/${var.name}/cluster"
}

module "key" {
  source = "../kms-key"

  alias                 = "${var.name}/eks"
  description           = "EKS ${var.name}: Kubernetes Secrets and control plane logs"
  cloudwatch_log_groups = [local.log_group_name]
  tags                  = var.tags
}

# Created before the cluster so that EKS writes into it instead of creating an unencrypted one.
resource "aws_cloudwatch_log_group" "control_plane" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn
  tags              = var.tags
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  version  = var.kubernetes_version
  role_arn = var.cluster_role_arn

  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = var.endpoint_public_access
    public_access_cidrs     = var.endpoint_public_access ? var.endpoint_public_access_cidrs : null
  }

  access_config {
    authentication_mode = "API"
    # Whoever runs the first apply gets no hidden, unremovable admin grant; admins are listed in
    # var.cluster_admin_arns and show up in access.tf like everyone else.
    bootstrap_cluster_creator_admin_permissions = false
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = module.key.arn
    }
  }

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  # vpc-cni, kube-proxy and CoreDNS come from addons.tf as managed add-ons, not as unmanaged copies.
  bootstrap_self_managed_addons = false

  # At the end of standard support EKS upgrades the cluster instead of billing extended support
  # (six times the hourly price).
  upgrade_policy {
    support_type = "STANDARD"
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.control_plane]
}

# The API endpoint's own security group (created by EKS) admits the nodes; these rules add the
# networks that run kubectl and helm against the private endpoint: VPN, CI runners in the VPC.
resource "aws_vpc_security_group_ingress_rule" "private_endpoint" {
  for_each = toset(var.endpoint_private_access_cidrs)

  security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  description       = "Kubernetes API (private endpoint) from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
  tags              = var.tags
}

# IRSA. No thumbprint: IAM verifies the EKS issuer's TLS certificate against its own trusted CA
# library (issuers whose JWKS is served from S3), so a pinned thumbprint would only go stale.
resource "aws_iam_openid_connect_provider" "this" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}
