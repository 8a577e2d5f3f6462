variable "alias" {
  description = "Alias without the alias/ prefix, e.g. petrel-prod/eks."
  type        = string
}

variable "description" {
  description = "What the key protects (shown in the KMS console)."
  type        = string
}

variable "cloudwatch_log_groups" {
  description = "Names of the CloudWatch log groups in this account and region that encrypt with the key."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags on the key."
  type        = map(string)
  default     = {}
}
