variable "name" {
  description = "Repository name, e.g. petrel-prod."
  type        = string
}

variable "tagged_artifacts_to_keep" {
  description = "How many tagged artifacts survive the lifecycle policy; a release is about three (image, signature, attestation)."
  type        = number
  default     = 150

  validation {
    condition     = var.tagged_artifacts_to_keep >= 30
    error_message = "tagged_artifacts_to_keep must be at least 30, or rollbacks run out of images."
  }
}

variable "tags" {
  description = "Extra tags on the repository and its key."
  type        = map(string)
  default     = {}
}
