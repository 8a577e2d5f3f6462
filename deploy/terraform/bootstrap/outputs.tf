output "state_bucket" {
  description = "TF_STATE_BUCKET (repository variable; deploy/terraform/tf.sh reads it too)."
  value       = module.state_bucket.name
}

output "state_region" {
  description = "TF_STATE_REGION: region of the state bucket."
  value       = var.region
}

output "state_kms_keys" {
  description = "Per environment: the key of its state object, as the backend's kms_key_id names it (alias; ../tf.sh and the pipeline pass it) and as an ARN."
  value = { for env in var.environments : env => {
    kms_key_id = module.state_key[env].alias
    arn        = module.state_key[env].arn
  } }
}

output "plan_role_arns" {
  description = "Per environment: AWS_PLAN_ROLE_ARN_<ENV> (repository variables)."
  value       = { for env in var.environments : env => aws_iam_role.github["plan-${env}"].arn }
}

output "terraform_role_arns" {
  description = "Per environment: AWS_TERRAFORM_ROLE_ARN (variable of the GitHub environment)."
  value       = { for env in var.environments : env => aws_iam_role.github["terraform-${env}"].arn }
}

output "deploy_role_arns" {
  description = "Per environment: AWS_DEPLOY_ROLE_ARN (variable of the GitHub environment); its cluster_admin_role_names entry."
  value       = { for env in var.environments : env => aws_iam_role.github["deploy-${env}"].arn }
}

output "release_role_arn" {
  description = "AWS_RELEASE_ROLE_ARN (repository variable)."
  value       = aws_iam_role.github["release"].arn
}
