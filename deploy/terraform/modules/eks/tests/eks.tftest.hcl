# Offline plan/apply against a mocked AWS provider: API exposure, encryption, node group shape,
# instance metadata, access entries and add-ons.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name             = "petrel-test"
  subnet_ids       = ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"]
  cluster_role_arn = "arn:aws:iam::123456789012:role/petrel-test-eks-cluster"
  node_role_arn    = "arn:aws:iam::123456789012:role/petrel-test-eks-node"

  ebs_csi_driver_role_arn = "arn:aws:iam::123456789012:role/petrel-test-ebs-csi-driver"
}

run "api_is_private_by_default" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && !aws_eks_cluster.this.vpc_config[0].endpoint_public_access
    error_message = "by default the API must be reachable through the private endpoint only"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.private_endpoint) == 0
    error_message = "no extra network may reach the private endpoint unless listed"
  }
}

run "public_api_only_from_listed_cidrs" {
  command = plan

  variables {
    endpoint_public_access        = true
    endpoint_public_access_cidrs  = ["198.51.100.0/24"]
    endpoint_private_access_cidrs = ["10.99.0.0/16"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access && aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["198.51.100.0/24"])
    error_message = "the public endpoint must admit exactly the listed CIDRs"
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access
    error_message = "the private endpoint must stay on when the public one is enabled (nodes use it)"
  }

  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.private_endpoint : [r.cidr_ipv4, r.ip_protocol, r.from_port, r.to_port]] == [["10.99.0.0/16", "tcp", 443, 443]]
    error_message = "listed private networks may reach the API on 443/tcp and nothing else"
  }
}

run "rejects_public_api_without_cidrs" {
  command = plan

  variables {
    endpoint_public_access = true
  }

  expect_failures = [var.endpoint_public_access_cidrs]
}

run "rejects_public_api_open_to_the_internet" {
  command = plan

  variables {
    endpoint_public_access       = true
    endpoint_public_access_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.endpoint_public_access_cidrs]
}

run "secrets_and_logs_encrypted" {
  command = apply # the key ARN is known after apply

  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].resources == toset(["secrets"]) && aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == module.key.arn
    error_message = "Kubernetes Secrets must be envelope-encrypted with the cluster's KMS key"
  }

  assert {
    condition     = aws_eks_cluster.this.enabled_cluster_log_types == toset(["api", "audit", "authenticator", "controllerManager", "scheduler"])
    error_message = "all five control plane log types must be enabled"
  }

  assert {
    condition     = aws_cloudwatch_log_group.control_plane.name == "/aws/eks/petrel-test/cluster" && aws_cloudwatch_log_group.control_plane.kms_key_id == module.key.arn && aws_cloudwatch_log_group.control_plane.retention_in_days == 90
    error_message = "control plane logs must go to EKS's log group name, encrypted, with a retention"
  }

  assert {
    condition     = aws_eks_cluster.this.upgrade_policy[0].support_type == "STANDARD"
    error_message = "the cluster must not fall into paid extended support"
  }
}

run "node_group_defaults" {
  command = plan

  assert {
    condition = (aws_eks_node_group.default.scaling_config[0].min_size == 2
      && aws_eks_node_group.default.scaling_config[0].desired_size == 2
    && aws_eks_node_group.default.scaling_config[0].max_size == 4)
    error_message = "the default node group must scale 2-4, starting at 2"
  }

  assert {
    condition     = aws_launch_template.node.instance_type == "t3.medium" && aws_eks_node_group.default.capacity_type == "ON_DEMAND"
    error_message = "default nodes must be on-demand t3.medium, the type set in the launch template (a change rolls the nodes in place)"
  }

  assert {
    condition     = toset(aws_eks_node_group.default.subnet_ids) == toset(var.subnet_ids)
    error_message = "nodes must run in the given private subnets"
  }

  assert {
    condition     = aws_eks_node_group.default.version == "1.35"
    error_message = "nodes must run the control plane's Kubernetes version"
  }
}

run "several_instance_types_go_to_the_node_group" {
  command = plan

  variables {
    node_capacity_type  = "SPOT"
    node_instance_types = ["t3.medium", "t3a.medium"]
  }

  assert {
    condition     = aws_launch_template.node.instance_type == null && tolist(aws_eks_node_group.default.instance_types) == tolist(["t3.medium", "t3a.medium"])
    error_message = "several instance types must be set on the node group (a launch template holds one)"
  }
}

run "node_group_sizes_follow_inputs" {
  command   = plan
  state_key = "fresh" # an existing group keeps its desired size (ignore_changes); this plans a new one

  variables {
    node_min_size     = 3
    node_desired_size = 3
    node_max_size     = 6
  }

  assert {
    condition = (aws_eks_node_group.default.scaling_config[0].min_size == 3
      && aws_eks_node_group.default.scaling_config[0].desired_size == 3
    && aws_eks_node_group.default.scaling_config[0].max_size == 6)
    error_message = "node group sizes must follow the inputs"
  }
}

run "rejects_desired_outside_min_max" {
  command = plan

  variables {
    node_min_size     = 3
    node_desired_size = 2
  }

  expect_failures = [var.node_desired_size]
}

run "nodes_require_imdsv2_and_encrypt_their_disks" {
  command = plan

  assert {
    condition     = aws_launch_template.node.metadata_options[0].http_tokens == "required" && aws_launch_template.node.metadata_options[0].http_endpoint == "enabled"
    error_message = "nodes must require IMDSv2 session tokens"
  }

  assert {
    condition     = aws_launch_template.node.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "IMDS hop limit must be 1 so that pods cannot reach the node role's credentials"
  }

  assert {
    condition     = aws_launch_template.node.block_device_mappings[0].ebs[0].encrypted == "true" && aws_launch_template.node.block_device_mappings[0].ebs[0].volume_type == "gp3"
    error_message = "node root volumes must be encrypted gp3"
  }

  assert {
    condition     = aws_launch_template.node.vpc_security_group_ids == null && length(aws_launch_template.node.network_interfaces) == 0
    error_message = "the launch template must not replace the cluster security group EKS attaches to nodes"
  }
}

run "access_entries_not_aws_auth" {
  command = plan

  variables {
    cluster_admin_arns = ["arn:aws:iam::123456789012:role/petrel-deploy-test"]
  }

  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API" && !aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions
    error_message = "authentication must use access entries only, with no implicit creator admin"
  }

  assert {
    condition     = keys(aws_eks_access_entry.admin) == ["arn:aws:iam::123456789012:role/petrel-deploy-test"]
    error_message = "each listed admin must get an access entry"
  }

  assert {
    condition     = aws_eks_access_policy_association.admin["arn:aws:iam::123456789012:role/petrel-deploy-test"].policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    error_message = "listed admins must be associated with the cluster admin access policy, cluster-wide"
  }
}

run "managed_addons_with_network_policy" {
  command = plan

  assert {
    condition     = toset(concat(keys(aws_eks_addon.node_networking), keys(aws_eks_addon.cluster_services))) == toset(["vpc-cni", "kube-proxy", "coredns", "metrics-server", "aws-ebs-csi-driver"])
    error_message = "the cluster must run vpc-cni, kube-proxy, coredns, metrics-server and the EBS CSI driver as EKS add-ons"
  }

  assert {
    condition     = aws_eks_addon.cluster_services["aws-ebs-csi-driver"].service_account_role_arn == var.ebs_csi_driver_role_arn
    error_message = "the EBS CSI driver must run with its IRSA role"
  }

  assert {
    condition     = jsondecode(aws_eks_addon.node_networking["vpc-cni"].configuration_values).enableNetworkPolicy == "true"
    error_message = "the VPC CNI must enforce NetworkPolicies"
  }

  assert {
    condition     = !aws_eks_cluster.this.bootstrap_self_managed_addons
    error_message = "EKS must not install unmanaged copies of the add-ons"
  }
}

run "irsa_provider_and_issuer" {
  command = apply

  assert {
    condition     = aws_iam_openid_connect_provider.this.client_id_list == toset(["sts.amazonaws.com"]) && aws_iam_openid_connect_provider.this.url == aws_eks_cluster.this.identity[0].oidc[0].issuer
    error_message = "the OIDC provider must trust the cluster's issuer for STS"
  }

  assert {
    condition     = output.oidc_issuer == "oidc.eks.us-east-1.amazonaws.com/id/MOCK"
    error_message = "oidc_issuer must drop the scheme (IAM condition keys use host/path)"
  }
}
