# Copied by scripts/check-terraform.sh (emulator stage) into a temporary copy of a root module
# (bootstrap/, environments/), never into the real one: Terraform merges *_override.tf files into
# the blocks they name. Points the aws provider at the AWS API emulator (moto_server, started by
# the script on 127.0.0.1) with the emulator's test credentials; region and default_tags stay
# the root module's own.
provider "aws" {
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    cloudwatchlogs = var.emulator_endpoint
    dynamodb       = var.emulator_endpoint
    ec2            = var.emulator_endpoint
    ecr            = var.emulator_endpoint
    eks            = var.emulator_endpoint
    iam            = var.emulator_endpoint
    kms            = var.emulator_endpoint
    s3             = var.emulator_endpoint
    sts            = var.emulator_endpoint
  }
}
