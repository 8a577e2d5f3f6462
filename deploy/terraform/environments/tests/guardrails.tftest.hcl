# Rules every environment's inputs must keep, whatever a tfvars edit says.

mock_provider "aws" {
  source = "../tests/mocks"
}

variables {
  environment              = "prod"
  region                   = "us-east-1"
  azs                      = ["us-east-1a", "us-east-1b", "us-east-1c"]
  single_nat_gateway       = false
  kubernetes_version       = "1.35"
  log_retention_days       = 365
  cluster_admin_role_names = ["petrel-deploy-prod"]
}

run "prod_shape_is_accepted" {
  command = plan
}

run "prod_refuses_a_single_nat_gateway" {
  command = plan

  variables {
    single_nat_gateway = true
  }

  expect_failures = [var.single_nat_gateway]
}

run "prod_refuses_a_public_api" {
  command = plan

  variables {
    endpoint_public_access       = true
    endpoint_public_access_cidrs = ["198.51.100.0/24"]
  }

  expect_failures = [var.endpoint_public_access]
}

run "unknown_environment_is_refused" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}
