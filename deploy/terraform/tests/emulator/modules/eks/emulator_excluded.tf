# Emulator stage only: how many resource instances emulator_override.tf leaves out, counted with
# the expressions the module's own for_each arguments use.
output "emulator_excluded" {
  description = "Resource instances left out in the emulator, by resource."
  value = {
    "aws_eks_addon.node_networking"                        = length(local.node_networking_addons)
    "aws_eks_addon.cluster_services"                       = length(local.cluster_service_addons)
    "aws_eks_access_entry.admin"                           = length(toset(var.cluster_admin_arns))
    "aws_eks_access_policy_association.admin"              = length(toset(var.cluster_admin_arns))
    "aws_vpc_security_group_ingress_rule.private_endpoint" = length(toset(var.endpoint_private_access_cidrs))
  }
}
