variable "name" {
  description = "Prefix for every resource name, e.g. petrel-prod."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster that discovers these subnets (kubernetes.io/cluster/<name> tag)."
  type        = string
}

variable "cidr" {
  description = "VPC CIDR. A /16 leaves room for three /20 private subnets (VPC CNI gives every pod a VPC address)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && tonumber(split("/", var.cidr)[1]) <= 16
    error_message = "cidr must be a valid IPv4 CIDR of /16 or larger."
  }
}

variable "azs" {
  description = "Exactly three availability zones; the workload spreads across them."
  type        = list(string)

  validation {
    condition     = length(var.azs) == 3 && length(distinct(var.azs)) == 3
    error_message = "azs must name three distinct availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheap; egress stops if its zone fails) instead of one per zone."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "CloudWatch retention of the VPC flow logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Extra tags on every resource (the provider's default_tags carry the common ones)."
  type        = map(string)
  default     = {}
}
