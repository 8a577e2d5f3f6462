# Emulator stage only: merged after emulator_override.tf (override files merge in name order, and
# a later ignore_changes replaces an earlier one, so the read-back gaps are repeated here).
#
# Updates moto 5.2.5 cannot apply: EKS UpdateClusterConfig answers without the update object the
# provider waits on (the provider crashes), and UpdateNodegroupVersion and DescribeUpdate are not
# implemented (404). The change tests check their plans without this file, as AWS would get them
# (the cluster's subnets and the node group's launch template version updated in place), and
# apply them with it: everything else in those plans is applied.

resource "aws_eks_cluster" "this" {
  lifecycle {
    ignore_changes = [access_config, upgrade_policy, vpc_config[0].subnet_ids]
  }
}

resource "aws_eks_node_group" "default" {
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size, update_config, node_repair_config, remote_access, launch_template[0].version]
  }
}
