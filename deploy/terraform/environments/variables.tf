variable "environment" {
  description = "dev, staging or prod; names every resource (petrel-<environment>) and tags it."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "azs" {
  description = "Three availability zones of the region."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "VPC range. The deploy kit's ALB NetworkPolicy admits this range (ingress-alb component, Helm networkPolicy.vpcCidr): change them together."
  type        = string
  default     = "10.0.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper; a zone outage cuts egress) instead of one per zone."
  type        = bool

  validation {
    condition     = !(var.environment == "prod" && var.single_nat_gateway)
    error_message = "prod keeps a NAT gateway per zone: with one, losing its zone cuts every node's egress."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version; raised environment by environment (dev, then staging, then prod)."
  type        = string
}

variable "endpoint_public_access" {
  description = "Also expose the Kubernetes API publicly, to endpoint_public_access_cidrs only."
  type        = bool
  default     = false

  validation {
    condition     = !(var.environment == "prod" && var.endpoint_public_access)
    error_message = "prod's Kubernetes API stays private; reach it from inside the VPC (endpoint_private_access_cidrs)."
  }
}

variable "endpoint_public_access_cidrs" {
  description = "Networks allowed to reach the public API endpoint."
  type        = list(string)
  default     = []
}

variable "endpoint_private_access_cidrs" {
  description = "Networks in or connected to the VPC (VPN, self-hosted CI runners) allowed to reach the private API endpoint."
  type        = list(string)
  default     = []
}

variable "cluster_admin_role_names" {
  description = "IAM roles of this account with cluster-admin access: the environment's deploy role (bootstrap output) and break-glass roles."
  type        = list(string)
}

variable "log_retention_days" {
  description = "CloudWatch retention of the control plane logs and VPC flow logs."
  type        = number
}

variable "node_group" {
  description = "Managed node group; any attribute left out keeps the eks module's default (t3.medium, ON_DEMAND, 2-4 nodes)."
  type = object({
    instance_types = optional(list(string))
    capacity_type  = optional(string)
    min_size       = optional(number)
    desired_size   = optional(number)
    max_size       = optional(number)
  })
  default = {}
}
