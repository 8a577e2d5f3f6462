# A customer-managed KMS key with yearly rotation, administered by the account. Services that
# encrypt with the caller's own permissions (EKS secrets, S3, ECR) need nothing more; CloudWatch
# Logs encrypts as itself, so each log group that uses the key is named in the key policy.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  log_group_arn_prefix = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:"

  account_administers = {
    Sid       = "AccountAdministers"
    Effect    = "Allow"
    Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
    Action    = "kms:*"
    Resource  = "*" # in a key policy "*" means this key
  }

  logs_encrypt = {
    Sid       = "CloudWatchLogsUsesKeyForNamedLogGroups"
    Effect    = "Allow"
    Principal = { Service = "logs.${data.aws_region.current.name}.amazonaws.com" }
    Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    Resource  = "*"
    Condition = {
      ArnEquals = {
        "kms:EncryptionContext:aws:logs:arn" = [for name in var.cloudwatch_log_groups : "${local.log_group_arn_prefix}${name}"]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.account_administers], length(var.cloudwatch_log_groups) > 0 ? [local.logs_encrypt] : [])
  })
  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
