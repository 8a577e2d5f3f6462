output "repository_url" {
  description = "Push/pull URL: <account>.dkr.ecr.<region>.amazonaws.com/<name>."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "Repository ARN (for push permissions)."
  value       = aws_ecr_repository.this.arn
}
