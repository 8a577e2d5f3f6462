terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # No backend: this configuration creates the state bucket, so its own few resources keep
  # their state locally (see docs/infrastructure.md for where to keep that file).
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = local.project
      ManagedBy = "terraform"
      Source    = "deploy/terraform/bootstrap"
    }
  }
}
