# EKS-managed add-ons at the default version EKS publishes for the cluster's Kubernetes version,
# so that raising kubernetes_version moves them along. Terraform owns their configuration
# (OVERWRITE): a hand edit in the cluster is reverted on the next apply.

locals {
  # DaemonSets the nodes need before they can become Ready.
  node_networking_addons = {
    # Network policy enforcement is off in the VPC CNI by default; without it the kit's
    # NetworkPolicies would be accepted and silently ignored.
    vpc-cni    = { configuration_values = jsonencode({ enableNetworkPolicy = "true" }), service_account_role_arn = null }
    kube-proxy = { configuration_values = null, service_account_role_arn = null }
  }

  # Deployments that need nodes to run on. metrics-server is an EKS community add-on; the HPA
  # reads it. The EBS CSI driver provisions the Elasticsearch and Redis volumes: EKS has no
  # in-tree EBS provisioner any more.
  cluster_service_addons = {
    coredns            = { configuration_values = null, service_account_role_arn = null }
    metrics-server     = { configuration_values = null, service_account_role_arn = null }
    aws-ebs-csi-driver = { configuration_values = null, service_account_role_arn = var.ebs_csi_driver_role_arn }
  }
}

data "aws_eks_addon_version" "this" {
  for_each = merge(local.node_networking_addons, local.cluster_service_addons)

  addon_name         = each.key
  kubernetes_version = aws_eks_cluster.this.version
}

resource "aws_eks_addon" "node_networking" {
  for_each = local.node_networking_addons

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = data.aws_eks_addon_version.this[each.key].version
  configuration_values        = each.value.configuration_values
  service_account_role_arn    = each.value.service_account_role_arn
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags
}

resource "aws_eks_addon" "cluster_services" {
  for_each = local.cluster_service_addons

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = data.aws_eks_addon_version.this[each.key].version
  configuration_values        = each.value.configuration_values
  service_account_role_arn    = each.value.service_account_role_arn
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags

  # Created against a cluster without nodes they would sit in DEGRADED until Terraform times out.
  depends_on = [aws_eks_node_group.default]
}
