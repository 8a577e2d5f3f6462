output "cluster_name" {
  description = "EKS cluster name (the load balancer controller chart's clusterName)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API URL."
  value       = module.eks.cluster_endpoint
}

output "kubeconfig_command" {
  description = "Writes a kubeconfig entry for this cluster (the caller needs an access entry)."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name} --alias ${module.eks.cluster_name}"
}

output "region" {
  description = "AWS region (the load balancer controller chart's region: nodes' IMDS hop limit keeps it from looking it up)."
  value       = var.region
}

output "vpc_id" {
  description = "VPC ID (the load balancer controller chart's vpcId, for the same reason)."
  value       = module.network.vpc_id
}

output "load_balancer_controller_role_arn" {
  description = "IRSA role of the AWS Load Balancer Controller (serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn)."
  value       = module.iam.load_balancer_controller_role_arn
}

output "snapshot_role_arn" {
  description = "IRSA role of the Elasticsearch pods, for the S3 snapshot repository."
  value       = module.iam.snapshot_role_arn
}

output "node_role_arn" {
  description = "Role of the nodes."
  value       = module.iam.node_role_arn
}

output "ecr_repository_url" {
  description = "Image repository of this environment."
  value       = module.registry.repository_url
}

output "snapshot_bucket" {
  description = "S3 bucket of the Elasticsearch snapshot repository."
  value       = module.snapshots.name
}

output "nat_public_ips" {
  description = "Egress addresses of the cluster (allow-list them at third parties)."
  value       = module.network.nat_public_ips
}
