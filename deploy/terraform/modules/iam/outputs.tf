output "cluster_role_arn" {
  description = "Role the EKS control plane assumes."
  value       = aws_iam_role.cluster.arn
}

output "node_role_arn" {
  description = "Role of the managed node group's instances."
  value       = aws_iam_role.node.arn
}

output "node_role_policy_attachments" {
  description = "Attachment IDs; the node group depends on them so that nodes never start without permissions."
  value       = [for a in aws_iam_role_policy_attachment.node : a.id]
}

output "load_balancer_controller_role_arn" {
  description = "IRSA role for the AWS Load Balancer Controller (the chart's serviceAccount.annotations eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.load_balancer_controller.arn
}

output "snapshot_role_arn" {
  description = "IRSA role for the Elasticsearch snapshot job's service account."
  value       = aws_iam_role.snapshots.arn
}
