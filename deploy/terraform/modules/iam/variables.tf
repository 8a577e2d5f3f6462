variable "name" {
  description = "Prefix for role names, e.g. petrel-prod."
  type        = string
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (eks module output)."
  type        = string
}

variable "oidc_issuer" {
  description = "Cluster OIDC issuer without the scheme, e.g. oidc.eks.us-east-1.amazonaws.com/id/ABC (eks module output)."
  type        = string

  validation {
    condition     = !startswith(var.oidc_issuer, "https://")
    error_message = "oidc_issuer must not include https:// (IAM condition keys use the bare host/path)."
  }
}

variable "load_balancer_controller_service_account" {
  description = "namespace/name of the AWS Load Balancer Controller's service account (the Helm chart's default)."
  type        = string
  default     = "kube-system/aws-load-balancer-controller"
}

variable "snapshot_service_account" {
  description = "namespace/name of the Elasticsearch pods' service account (the nodes write the S3 snapshot repository)."
  type        = string
  default     = "petrel/petrel-elasticsearch"
}

variable "snapshot_bucket_arn" {
  description = "S3 bucket that holds Elasticsearch snapshots (snapshots module output)."
  type        = string
}

variable "snapshot_kms_key_arn" {
  description = "KMS key that encrypts the snapshot bucket (snapshots module output)."
  type        = string
}

variable "tags" {
  description = "Extra tags on every role."
  type        = map(string)
  default     = {}
}
