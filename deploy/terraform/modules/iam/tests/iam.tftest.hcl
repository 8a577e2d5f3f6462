# Offline plan against a mocked AWS provider: who may assume each role, and what it may do.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                 = "petrel-test"
  oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
  oidc_issuer          = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
  snapshot_bucket_arn  = "arn:aws:s3:::petrel-test-snapshots"
  snapshot_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
}

run "irsa_roles_trust_one_service_account_each" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.load_balancer_controller.assume_role_policy).Statement[0].Condition.StringEquals == {
      "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub" = "system:serviceaccount:kube-system:aws-load-balancer-controller"
      "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud" = "sts.amazonaws.com"
    }
    error_message = "the load balancer controller role must be assumable only by kube-system/aws-load-balancer-controller via STS"
  }

  assert {
    condition     = jsondecode(aws_iam_role.snapshots.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:petrel:petrel-elasticsearch"
    error_message = "the snapshot role must be bound to the Elasticsearch pods' service account, petrel/petrel-elasticsearch"
  }

  assert {
    condition     = jsondecode(aws_iam_role.ebs_csi_driver.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    error_message = "the EBS CSI role must be bound to the add-on's controller service account"
  }

  assert {
    condition     = alltrue([for r in [aws_iam_role.load_balancer_controller, aws_iam_role.snapshots, aws_iam_role.ebs_csi_driver] : jsondecode(r.assume_role_policy).Statement[0].Principal.Federated == var.oidc_provider_arn])
    error_message = "IRSA roles must federate with the cluster's OIDC provider only"
  }
}

run "snapshot_policy_is_scoped_to_its_bucket_and_key" {
  command = plan

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.snapshots.policy).Statement : s.Resource])) == toset([
      "arn:aws:s3:::petrel-test-snapshots",
      "arn:aws:s3:::petrel-test-snapshots/*",
      "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111",
    ])
    error_message = "the snapshot policy must name only the snapshot bucket, its objects and its key"
  }

  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.snapshots.policy).Statement : s.Action]), "s3:*")
    error_message = "no wildcard S3 actions on the snapshot role"
  }
}

run "node_role_has_only_node_policies" {
  command = plan

  assert {
    condition     = toset(keys(aws_iam_role_policy_attachment.node)) == toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"])
    error_message = "node role policies drifted; workload permissions belong on IRSA roles"
  }

  assert {
    condition     = jsondecode(aws_iam_role.cluster.assume_role_policy).Statement[0].Principal.Service == "eks.amazonaws.com" && jsondecode(aws_iam_role.node.assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com"
    error_message = "cluster role must trust EKS, node role must trust EC2"
  }

}

run "load_balancer_controller_policy_is_upstream_v2_13" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_iam_policy.load_balancer_controller.policy).Statement) == 16
    error_message = "the upstream v2.13 policy has 16 statements"
  }

  assert {
    # Added upstream in v2.12 (IPAM pools, capacity reservations) and v2.13 (route tables, rule priorities).
    condition = length(setsubtract([
      "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
      "elasticloadbalancing:DescribeCapacityReservation", "elasticloadbalancing:ModifyCapacityReservation",
      "elasticloadbalancing:ModifyIpPools", "elasticloadbalancing:SetRulePriorities",
    ], flatten([for s in jsondecode(aws_iam_policy.load_balancer_controller.policy).Statement : s.Action]))) == 0
    error_message = "the controller policy lacks actions that controller v2.12/v2.13 calls"
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_policy.load_balancer_controller.policy).Statement :
      try(s.Condition.Null["aws:ResourceTag/elbv2.k8s.aws/cluster"], "unconditioned") == "false"
      if contains(flatten([s.Action]), "elasticloadbalancing:DeleteLoadBalancer") || contains(flatten([s.Action]), "ec2:DeleteSecurityGroup")
    ])
    error_message = "deleting load balancers and security groups must be limited to those the controller tagged"
  }
}

run "rejects_issuer_with_scheme" {
  command = plan

  variables {
    oidc_issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
  }

  expect_failures = [var.oidc_issuer]
}
