# Offline plan against a mocked AWS provider: the bucket is encrypted, versioned, private and TLS-only.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "petrel-test-snapshots"
}

run "encrypted_with_its_own_key" {
  command = apply # the key ARN is known after apply

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "objects must be encrypted with SSE-KMS"
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == module.key.arn
    error_message = "the bucket must use its own customer-managed key"
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled
    error_message = "S3 bucket keys must be on (KMS request cost)"
  }
}

run "versioned_private_and_without_acls" {
  command = plan

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "versioning must be enabled"
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "all four public access block settings must be on"
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)"
  }
}

run "tls_only" {
  command = apply # the policy embeds the bucket ARN, known after apply

  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
    ])
    error_message = "the bucket policy must deny every request not made over TLS"
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s.Effect])) == toset(["Deny"])
    error_message = "the bucket policy must only deny; access is granted by IAM policies"
  }
}

run "old_versions_and_failed_uploads_expire" {
  command = plan

  variables {
    noncurrent_version_days = 30
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.noncurrent_version_expiration[0].noncurrent_days if r.id == "expire-old-versions"] == [30]
    error_message = "noncurrent versions must expire after noncurrent_version_days"
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.abort_incomplete_multipart_upload[0].days_after_initiation if r.id == "expire-old-versions"] == [7]
    error_message = "incomplete multipart uploads must be aborted after a week"
  }
}

run "rejects_invalid_bucket_name" {
  command = plan

  variables {
    name = "Petrel_Snapshots"
  }

  expect_failures = [var.name]
}
