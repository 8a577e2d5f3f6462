# One managed node group across the private subnets of all three zones. The launch template
# carries what the node group API cannot: IMDSv2 with hop limit 1 and an encrypted gp3 root volume.
# It names no security group, so EKS attaches the cluster security group: nodes and control plane
# reach each other and nothing else is opened.
#
# Neither has create_before_destroy: Terraform would force it onto everything they depend on (the
# cluster, its IAM roles, log group and key, the VPC and subnets), whose fixed names and ranges
# cannot exist twice, so a replacement of any of them would fail halfway. A single instance type
# therefore lives in the launch template: changing it makes a new template version, which EKS
# rolls out in place, one node at a time (update_config), instead of replacing the group.

data "aws_default_tags" "current" {}

locals {
  # Launch template tag specifications do not inherit the provider's default_tags.
  node_tags = merge(data.aws_default_tags.current.tags, var.tags, { Name = "${var.name}-node" })
  # Several instance types (a SPOT group) can only be given to the node group itself, where a
  # change replaces the group.
  single_instance_type = length(var.node_instance_types) == 1 ? var.node_instance_types[0] : null
}

resource "aws_launch_template" "node" {
  name_prefix            = "${var.name}-node-"
  description            = "EKS ${var.name} managed nodes"
  update_default_version = true
  instance_type          = local.single_instance_type

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # 1: the token cannot cross the extra hop into a pod's network namespace, so pods cannot take
    # the node role's credentials. Host-network pods (vpc-cni, kube-proxy) still reach IMDS; the
    # AWS Load Balancer Controller gets its region and VPC ID as chart values instead.
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda" # root device of the Amazon Linux 2023 EKS AMI

    ebs {
      volume_type           = "gp3"
      volume_size           = var.node_disk_size_gib
      encrypted             = "true" # with the account's aws/ebs key: the autoscaling service role can use it without a key grant
      delete_on_termination = "true"
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.node_tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.node_tags
  }

  tags = var.tags
}

resource "aws_eks_node_group" "default" {
  cluster_name           = aws_eks_cluster.this.name
  version                = aws_eks_cluster.this.version # nodes follow a control plane upgrade, one at a time
  node_group_name_prefix = "${var.name}-default-"
  node_role_arn          = var.node_role_arn
  subnet_ids             = var.subnet_ids
  ami_type               = "AL2023_x86_64_STANDARD"
  capacity_type          = var.node_capacity_type
  instance_types         = local.single_instance_type == null ? var.node_instance_types : null

  scaling_config {
    min_size     = var.node_min_size
    max_size     = var.node_max_size
    desired_size = var.node_desired_size
  }

  update_config {
    max_unavailable = 1
  }

  node_repair_config {
    enabled = true
  }

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  tags = var.tags

  lifecycle {
    # After creation, the desired size belongs to whoever scales the group (an autoscaler, an operator).
    ignore_changes = [scaling_config[0].desired_size]
  }

  # Nodes become Ready only once the pod network exists.
  depends_on = [aws_eks_addon.node_networking]
}
