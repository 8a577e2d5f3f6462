terraform {
  required_version = ">= 1.11.0" # S3-native state locking (use_lockfile) needs 1.10+

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: bucket, key and region come from ../tf.sh, which gives every
  # environment its own state object (env/<name>/terraform.tfstate) and its own .terraform/.
  backend "s3" {
    use_lockfile = true # lock object next to the state; no DynamoDB table
    encrypt      = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = local.project
      Environment = var.environment
      ManagedBy   = "terraform"
      Source      = "deploy/terraform/environments"
    }
  }
}
