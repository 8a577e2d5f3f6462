# VPC across three zones: public subnets hold the ALB and the NAT gateways, private subnets hold
# the nodes and pods. Subnet tags are what the AWS Load Balancer Controller uses to pick subnets.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  flow_log_group_name = "/aws/vpc/${var.name}/flow-logs"
  # Every per-zone resource is keyed by its zone, not by its position in var.azs: adding, removing
  # or reordering zones touches only the zones that come or go, never another zone's subnets,
  # NAT gateway or routes. A zone's ranges follow from its letter (a = 0, b = 1, …), so a zone
  # keeps its ranges wherever it is listed and a new zone never reuses a removed zone's ranges.
  zone_letters = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"]
  zone_index   = { for az in var.azs : az => index(local.zone_letters, substr(az, -1, 1)) }
  # Zones that hold a NAT gateway: each zone, or the first one only.
  nat_zones = var.single_nat_gateway ? [var.azs[0]] : var.azs
  cluster_tag = {
    "kubernetes.io/cluster/${var.cluster_name}" = "shared"
  }
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # EKS private endpoint resolution needs both

  tags = merge(var.tags, { Name = var.name })
}

# The default security group of a new VPC allows all traffic between its members; take every rule away.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = var.name })
}

# Public: a /24 per zone at the bottom of the range (load balancers and NAT need few addresses):
# zone a gets 10.0.0.0/24, zone b 10.0.1.0/24, …
resource "aws_subnet" "public" {
  for_each = local.zone_index

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = cidrsubnet(var.cidr, 8, each.value)
  map_public_ip_on_launch = false # nothing launched here needs a public address except via an EIP

  tags = merge(var.tags, local.cluster_tag, {
    Name                     = "${var.name}-public-${each.key}"
    Tier                     = "public"
    "kubernetes.io/role/elb" = "1"
  })

  lifecycle {
    create_before_destroy = true # see aws_subnet.private
  }
}

# Private: a /20 per zone (4091 usable addresses each) for nodes and pods, above the public
# /24s: zone a gets 10.0.16.0/20, zone b 10.0.32.0/20, …
resource "aws_subnet" "private" {
  for_each = local.zone_index

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = cidrsubnet(var.cidr, 4, each.value + 1)

  tags = merge(var.tags, local.cluster_tag, {
    Name                              = "${var.name}-private-${each.key}"
    Tier                              = "private"
    "kubernetes.io/role/internal-elb" = "1"
  })

  lifecycle {
    # A removed zone's subnet is deleted only after the cluster has moved to the new zone's
    # subnet (AWS refuses to delete a subnet that still holds the cluster's network interfaces).
    # Safe here because no two zones share a range, and it spreads only to the VPC, which has
    # no name or range that must be unique.
    create_before_destroy = true
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_zones)

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = aws_eip.nat

  allocation_id = each.value.id
  subnet_id     = aws_subnet.public[each.key].id
  tags          = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })
}

# One private route table per zone either way, so switching single_nat_gateway only moves routes.
resource "aws_route_table" "private" {
  for_each = local.zone_index

  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-private-${each.key}" })
}

resource "aws_route" "private_nat" {
  for_each = aws_route_table.private

  route_table_id         = each.value.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? var.azs[0] : each.key].id
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

# S3 traffic of the private subnets (ECR image layers, Elasticsearch snapshots) takes a gateway
# endpoint: it costs nothing, where the same bytes through a NAT gateway are billed per GB.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for az in var.azs : aws_route_table.private[az].id]
  tags              = merge(var.tags, { Name = "${var.name}-s3" })
}
