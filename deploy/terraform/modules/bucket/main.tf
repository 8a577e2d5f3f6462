# A private S3 bucket for data that must survive mistakes: KMS-encrypted with its own key,
# versioned (a deleted or overwritten object stays recoverable for noncurrent_version_days),
# reachable over TLS only, never public, with ACLs disabled. Used for Elasticsearch snapshots
# and, from bootstrap/, for Terraform state.

module "key" {
  source = "../kms-key"

  alias       = "${var.name}/s3"
  description = "S3 bucket ${var.name}"
  tags        = var.tags
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18: no access logs: they need a second bucket per bucket, and this kit creates no CloudTrail data events either, so object reads are not audited here; where they must be (the state bucket), enable S3 data events for it in the account's or organisation's trail (docs/infrastructure.md)
  #checkov:skip=CKV_AWS_144: cross-region replication doubles storage cost; versioning covers deletes, region loss is not in this service's recovery objective
  #checkov:skip=CKV2_AWS_62: nothing consumes object events from this bucket
  bucket = var.name
  tags   = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: access is decided by IAM and the bucket policy alone
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.key.arn
    }
    bucket_key_enabled = true # one data key per bucket instead of one KMS call per object
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"
    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyPlainHttp"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyTlsOlderThan12"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
  })

  # A policy that lands before the public access block could be judged public and rejected.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
