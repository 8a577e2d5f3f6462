output "arn" {
  description = "Key ARN (what encryption settings and IAM policies name)."
  value       = aws_kms_key.this.arn
}
