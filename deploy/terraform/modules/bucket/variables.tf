variable "name" {
  description = "Bucket name (globally unique), also the prefix of its KMS key alias."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits and hyphens (no dots: they break TLS for virtual-hosted requests, and the key alias)."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before it expires (the undo window)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "tags" {
  description = "Extra tags on the bucket and its key."
  type        = map(string)
  default     = {}
}
