output "arn" {
  description = "Key ARN (what encryption settings and IAM policies name)."
  value       = aws_kms_key.this.arn
}

output "alias" {
  description = "Alias name (alias/…): what a client that takes a key ID or alias, such as the S3 backend's kms_key_id, can name the key by."
  value       = aws_kms_alias.this.name
}
