# Offline plan against a mocked AWS provider: rotation, and who besides the account may use the key.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  alias       = "petrel-test/example"
  description = "example"
}

run "rotates_and_only_the_account_administers" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.rotation_period_in_days == 365
    error_message = "the key must rotate yearly"
  }

  assert {
    condition = jsondecode(aws_kms_key.this.policy).Statement == [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
    error_message = "without log groups the key policy must only delegate to the account's IAM policies"
  }

  assert {
    condition     = aws_kms_alias.this.name == "alias/petrel-test/example"
    error_message = "alias must be alias/<alias>"
  }
}

run "cloudwatch_logs_may_use_it_for_named_log_groups_only" {
  command = plan

  variables {
    cloudwatch_log_groups = ["/aws/eks/petrel-test/cluster"]
  }

  assert {
    condition     = jsondecode(aws_kms_key.this.policy).Statement[1].Principal.Service == "logs.us-east-1.amazonaws.com"
    error_message = "the second statement must grant the regional CloudWatch Logs service"
  }

  assert {
    condition = jsondecode(aws_kms_key.this.policy).Statement[1].Condition.ArnEquals == {
      "kms:EncryptionContext:aws:logs:arn" = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/petrel-test/cluster"]
    }
    error_message = "CloudWatch Logs may use the key only for the named log group"
  }
}
