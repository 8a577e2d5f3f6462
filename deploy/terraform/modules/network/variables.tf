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
  description = "Exactly three availability zones of the region; the workload spreads across them. A zone's subnet ranges follow from its letter, not its position."
  type        = list(string)

  validation {
    condition     = length(var.azs) == 3 && length(distinct(var.azs)) == 3
    error_message = "azs must name three distinct availability zones."
  }

  validation {
    # Zone a..o: the letter picks the zone's /24 and /20, and a /16 holds fifteen /20s above the /24s.
    condition     = alltrue([for az in var.azs : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-o]$", az))])
    error_message = "azs must be zone names such as us-east-1a, ending in a letter from a to o."
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
