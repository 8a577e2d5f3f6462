# One environment's real inputs, planned and applied against a mocked AWS provider. Run once per
# environment with its variables: terraform test -var-file=prod/terraform.tfvars -filter=tests/environment.tftest.hcl

mock_provider "aws" {
  source = "../tests/mocks"
}

run "environment_applies_with_its_inputs" {
  command = apply

  assert {
    condition     = output.cluster_name == "petrel-${var.environment}"
    error_message = "the cluster must be named petrel-<environment>"
  }

  assert {
    condition     = output.kubeconfig_command == "aws eks update-kubeconfig --region ${var.region} --name petrel-${var.environment} --alias petrel-${var.environment}"
    error_message = "kubeconfig_command must target this environment's region and cluster"
  }

  assert {
    condition     = length(output.nat_public_ips) == (var.single_nat_gateway ? 1 : 3)
    error_message = "NAT gateways must follow single_nat_gateway: one, or one per zone"
  }

  assert {
    condition     = output.snapshot_bucket == "petrel-${var.environment}-es-snapshots-123456789012"
    error_message = "the snapshot bucket name must carry the environment and the account"
  }

  assert {
    condition = alltrue([for arn in [output.load_balancer_controller_role_arn, output.snapshot_role_arn, output.node_role_arn] :
    startswith(arn, "arn:aws:iam::")])
    error_message = "role outputs must be IAM role ARNs"
  }

  assert {
    condition     = output.region == var.region && output.vpc_id != ""
    error_message = "region and vpc_id must be exported for the load balancer controller chart"
  }
}
