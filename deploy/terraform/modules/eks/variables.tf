variable "name" {
  description = "Cluster name, e.g. petrel-prod; also the prefix of the node group, launch template and key alias."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane; managed add-ons follow it."
  type        = string
  default     = "1.35"
}

variable "subnet_ids" {
  description = "Private subnets, one per zone, for the control plane's network interfaces and the nodes."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "EKS needs subnets in at least two zones."
  }
}

variable "cluster_role_arn" {
  description = "Role the control plane assumes (iam module output)."
  type        = string
}

variable "node_role_arn" {
  description = "Role of the node instances (iam module output)."
  type        = string
}

variable "ebs_csi_driver_role_arn" {
  description = "IRSA role of the aws-ebs-csi-driver add-on (iam module output)."
  type        = string
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API on a public endpoint as well, reachable from endpoint_public_access_cidrs only."
  type        = bool
  default     = false
}

variable "endpoint_public_access_cidrs" {
  description = "Networks allowed to reach the public endpoint (office, VPN egress, CI runners with fixed addresses)."
  type        = list(string)
  default     = []

  validation {
    condition     = !var.endpoint_public_access || length(var.endpoint_public_access_cidrs) > 0
    error_message = "endpoint_public_access needs at least one CIDR in endpoint_public_access_cidrs."
  }

  validation {
    condition     = alltrue([for c in var.endpoint_public_access_cidrs : can(cidrhost(c, 0)) && !endswith(c, "/0")])
    error_message = "endpoint_public_access_cidrs must be valid IPv4 CIDRs and never the whole internet (/0)."
  }
}

variable "endpoint_private_access_cidrs" {
  description = "Networks inside the VPC or connected to it (VPN, in-VPC CI runners) allowed to reach the private endpoint on 443. Nodes always can."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.endpoint_private_access_cidrs : can(cidrhost(c, 0)) && !endswith(c, "/0")])
    error_message = "endpoint_private_access_cidrs must be valid IPv4 CIDRs, never /0."
  }
}

variable "cluster_admin_arns" {
  description = "IAM roles and users granted cluster-admin through access entries (the deploy role, break-glass roles)."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "CloudWatch retention of the control plane logs (api, audit, authenticator, controllerManager, scheduler)."
  type        = number
  default     = 90
}

variable "node_instance_types" {
  description = "Instance types of the managed node group. One type is set in the launch template, and changing it rolls the nodes in place; several (only sensible with SPOT capacity) are set on the node group, and changing them replaces the group."
  type        = list(string)
  nullable    = false
  default     = ["t3.medium"]
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
  nullable    = false
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size" {
  description = "Fewest nodes; two keep a node drain from taking the service down."
  type        = number
  nullable    = false
  default     = 2
}

variable "node_max_size" {
  description = "Most nodes the group may scale to."
  type        = number
  nullable    = false
  default     = 4
}

variable "node_desired_size" {
  description = "Nodes at creation; later changes are left to whoever scales the group."
  type        = number
  nullable    = false
  default     = 2

  validation {
    condition     = var.node_min_size >= 1 && var.node_min_size <= var.node_desired_size && var.node_desired_size <= var.node_max_size
    error_message = "node sizes must satisfy 1 <= node_min_size <= node_desired_size <= node_max_size."
  }
}

variable "node_disk_size_gib" {
  description = "Root volume size of each node (images and container logs live there)."
  type        = number
  nullable    = false
  default     = 20
}

variable "tags" {
  description = "Extra tags on every resource (the provider's default_tags carry the common ones)."
  type        = map(string)
  default     = {}
}
