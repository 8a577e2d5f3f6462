# The role ARNs depend on their policy attachments, so a cluster or node group built from them
# never starts before its permissions exist, and is deleted before they go.
output "cluster_role_arn" {
  description = "Role the EKS control plane assumes."
  value       = aws_iam_role.cluster.arn
  depends_on  = [aws_iam_role_policy_attachment.cluster]
}

output "node_role_arn" {
  description = "Role of the managed node group's instances."
  value       = aws_iam_role.node.arn
  depends_on  = [aws_iam_role_policy_attachment.node]
}

output "load_balancer_controller_role_arn" {
  description = "IRSA role for the AWS Load Balancer Controller (the chart's serviceAccount.annotations eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.load_balancer_controller.arn
  depends_on  = [aws_iam_role_policy_attachment.load_balancer_controller]
}

output "ebs_csi_driver_role_arn" {
  description = "IRSA role for the aws-ebs-csi-driver add-on."
  value       = aws_iam_role.ebs_csi_driver.arn
  depends_on  = [aws_iam_role_policy_attachment.ebs_csi_driver]
}

output "snapshot_role_arn" {
  description = "IRSA role for the Elasticsearch pods' service account (eks.amazonaws.com/role-arn annotation)."
  value       = aws_iam_role.snapshots.arn
  depends_on  = [aws_iam_role_policy.snapshots]
}
