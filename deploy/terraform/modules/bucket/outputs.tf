output "name" {
  description = "Bucket name."
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "Bucket ARN (for IAM policies; objects are arn/*)."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "Key that encrypts the objects; readers and writers need kms:Decrypt and kms:GenerateDataKey on it."
  value       = module.key.arn
}
