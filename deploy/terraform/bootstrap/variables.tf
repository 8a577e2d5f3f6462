variable "region" {
  description = "Region of the state bucket and of the environments (the roles' EKS and ECR permissions name it)."
  type        = string
  default     = "us-east-1"
}

variable "github_owner" {
  description = "GitHub organisation or user that owns the repository, as in github.com/<owner>/<repo>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$", var.github_owner))
    error_message = "github_owner must be a GitHub user or organisation name."
  }
}

variable "github_repo" {
  description = "Repository name, as in github.com/<owner>/<repo>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,100}$", var.github_repo))
    error_message = "github_repo must be a GitHub repository name."
  }
}

variable "environments" {
  description = "GitHub environments that get plan, terraform and deploy roles; with one AWS account per environment, list only that account's."
  type        = list(string)
  default     = ["dev", "staging", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9-]*$", e))])
    error_message = "environments must be lowercase names such as dev, staging, prod."
  }
}

variable "state_bucket_name" {
  description = "Name of the state bucket; by default petrel-terraform-state-<account>-<region>."
  type        = string
  default     = null
}

variable "existing_github_oidc_provider_arn" {
  description = "ARN of the account's token.actions.githubusercontent.com provider, when one exists already (IAM allows one per URL)."
  type        = string
  default     = null
}

variable "release_repository" {
  description = "ECR repository (name) that release.yml pushes to and deployments copy from: dev's repository by default."
  type        = string
  default     = "petrel-dev"
}
