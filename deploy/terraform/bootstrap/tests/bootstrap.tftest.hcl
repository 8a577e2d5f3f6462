# Offline plan/apply against a mocked AWS provider: who may assume each CI role, and what it may do.

mock_provider "aws" {
  source = "../tests/mocks"
}

variables {
  github_owner = "petrel-sre"
  github_repo  = "petrel"
}

run "each_role_trusts_exactly_its_jobs" {
  command = apply # trust policies embed the OIDC provider's ARN

  assert {
    condition = {
      for name, role in aws_iam_role.github : name => jsondecode(role.assume_role_policy).Statement[0].Condition
      } == merge(
      { for env in ["dev", "staging"] : "plan-${env}" => {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = ["repo:petrel-sre/petrel:pull_request", "repo:petrel-sre/petrel:ref:refs/heads/main"]
        }
      } },
      { "plan-prod" = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = ["repo:petrel-sre/petrel:ref:refs/heads/main", "repo:petrel-sre/petrel:environment:prod"]
        }
      } },
      { for kind_env in setproduct(["terraform", "deploy"], ["dev", "staging", "prod"]) : "${kind_env[0]}-${kind_env[1]}" => {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = ["repo:petrel-sre/petrel:environment:${kind_env[1]}"]
        }
      } },
      { release = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = ["repo:petrel-sre/petrel:ref:refs/tags/v*"] }
      } },
    )
    error_message = "a role must trust this repository's intended jobs only: plans on pull requests and main (prod: main and its environment, no pull request), terraform and deploy in their GitHub environment, release on v* tags"
  }

  assert {
    condition     = alltrue([for role in aws_iam_role.github : jsondecode(role.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github[0].arn])
    error_message = "every role must federate with the GitHub OIDC provider only"
  }

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "the OIDC provider must be GitHub Actions' issuer with the STS audience"
  }
}

run "terraform_role_iam_is_limited_to_its_environment" {
  command = plan

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.terraform_iam["prod"].policy).Statement : s.Resource if s.Sid != "ReadIam"])) == toset([
      "arn:aws:iam::123456789012:role/petrel-prod-*",
      "arn:aws:iam::123456789012:policy/petrel-prod-*",
      "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/*",
    ])
    error_message = "the prod terraform role may write only petrel-prod-* roles and policies and EKS OIDC providers"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.terraform_iam["prod"].policy).Statement : s.Condition.StringEquals["iam:PassedToService"] if s.Sid == "PassEnvironmentRolesToEksAndFlowLogs"] == [["eks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]]
    error_message = "the terraform role may pass its environment's roles to EKS and VPC flow logs only"
  }

  assert {
    condition     = alltrue([for a in aws_iam_role_policy_attachment.terraform_power_user : a.policy_arn == "arn:aws:iam::aws:policy/PowerUserAccess"])
    error_message = "terraform roles get PowerUserAccess (no IAM) plus the scoped IAM policy, never AdministratorAccess"
  }
}

run "deploy_role_reads_one_state_and_writes_one_repository" {
  command = apply # the policy names the state bucket's ARN and key

  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.deploy["staging"].policy).Statement : s.Sid => s.Resource } == {
      FindTheStateObject                = "arn:aws:s3:::mock-bucket"
      ReadTheEnvironmentsOutputs        = "arn:aws:s3:::mock-bucket/env/staging/terraform.tfstate"
      DecryptState                      = module.state_key["staging"].arn
      WriteKubeconfig                   = "arn:aws:eks:us-east-1:123456789012:cluster/petrel-staging"
      EcrLogin                          = "*"
      PullReleases                      = "arn:aws:ecr:us-east-1:123456789012:repository/petrel-dev"
      CopyIntoTheEnvironmentsRepository = "arn:aws:ecr:us-east-1:123456789012:repository/petrel-staging"
    }
    error_message = "the staging deploy role may read staging's state, describe staging's cluster, pull releases and push to staging's repository, nothing else"
  }

  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.deploy["staging"].policy).Statement : s.Action]), "s3:PutObject")
    error_message = "the deploy role must not write Terraform state"
  }
}

run "plan_and_release_roles" {
  command = apply

  assert {
    condition     = alltrue([for a in aws_iam_role_policy_attachment.plan_read_only : a.policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"])
    error_message = "plan roles must be read-only"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.plan_state["dev"].policy).Statement == [{ Sid = "DecryptState", Effect = "Allow", Action = "kms:Decrypt", Resource = module.state_key["dev"].arn }]
    error_message = "beyond ReadOnlyAccess a plan role may only decrypt with its environment's state key"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.release.policy).Statement : s.Resource if s.Sid == "PushReleases"] == ["arn:aws:ecr:us-east-1:123456789012:repository/petrel-dev"]
    error_message = "the release role may push to the release repository only"
  }
}

run "each_environment_has_its_own_state_key" {
  command = apply

  assert {
    condition     = { for env, key in output.state_kms_keys : env => key.kms_key_id } == { for env in ["dev", "staging", "prod"] : env => "alias/petrel-${env}/terraform-state" }
    error_message = "every environment's state key must be reachable as alias/petrel-<env>/terraform-state: tf.sh and the pipeline pass that as the backend's kms_key_id"
  }
}

run "state_bucket_is_named_after_account_and_region" {
  command = plan

  assert {
    condition     = output.state_bucket == "petrel-terraform-state-123456789012-us-east-1"
    error_message = "the default state bucket name must carry account and region (bucket names are global)"
  }
}

run "one_account_per_environment_reuses_an_existing_github_provider" {
  command = apply

  variables {
    existing_github_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    environments                      = ["prod"]
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && alltrue([for role in aws_iam_role.github : jsondecode(role.assume_role_policy).Statement[0].Principal.Federated == var.existing_github_oidc_provider_arn])
    error_message = "with an existing provider, none is created and the roles federate with the given one"
  }

  assert {
    condition     = toset(keys(aws_iam_role.github)) == toset(["plan-prod", "terraform-prod", "deploy-prod", "release"])
    error_message = "an account bootstrapped for prod alone must get prod's roles only (and the release role)"
  }
}

run "rejects_a_repository_path_as_owner" {
  command = plan

  variables {
    github_owner = "petrel-sre/petrel"
  }

  expect_failures = [var.github_owner]
}
