# Offline plan/apply against a mocked AWS provider: asserts the shape of the network per environment size.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name         = "petrel-test"
  cluster_name = "petrel-test"
  azs          = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

run "prod_has_one_nat_per_zone" {
  command = apply

  variables {
    single_nat_gateway = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_eip.nat) == 3
    error_message = "prod-sized network must have one NAT gateway (and EIP) per zone"
  }

  assert {
    condition     = toset(keys(aws_route.private_nat)) == toset(var.azs) && alltrue([for az, r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this[az].id && r.route_table_id == aws_route_table.private[az].id])
    error_message = "each zone's private route table must use its own zone's NAT gateway"
  }

  assert {
    condition     = toset(keys(aws_nat_gateway.this)) == toset(var.azs) && alltrue([for az, n in aws_nat_gateway.this : n.subnet_id == aws_subnet.public[az].id && n.allocation_id == aws_eip.nat[az].id])
    error_message = "a zone's NAT gateway must sit in that zone's public subnet, with that zone's EIP"
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && toset(aws_vpc_endpoint.s3.route_table_ids) == toset([for rt in aws_route_table.private : rt.id])
    error_message = "every private route table must send S3 traffic to the gateway endpoint, not the NAT gateways"
  }
}

run "dev_shares_one_nat" {
  command = apply

  variables {
    single_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1
    error_message = "dev-sized network must have exactly one NAT gateway"
  }

  assert {
    condition     = toset(keys(aws_nat_gateway.this)) == toset(["us-east-1a"]) && length(aws_route_table.private) == 3 && alltrue([for r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this["us-east-1a"].id])
    error_message = "all three private route tables must route through the single NAT gateway, in the first zone"
  }
}

run "subnets_per_zone_and_tags" {
  command = plan

  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.private) == 3
    error_message = "expected three public and three private subnets"
  }

  assert {
    condition     = toset(keys(aws_subnet.public)) == toset(var.azs) && toset(keys(aws_subnet.private)) == toset(var.azs) && alltrue([for az in var.azs : aws_subnet.public[az].availability_zone == az && aws_subnet.private[az].availability_zone == az])
    error_message = "each zone must have one subnet per tier, keyed by and placed in that zone"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.tags["kubernetes.io/role/elb"] == "1" && s.tags["kubernetes.io/cluster/petrel-test"] == "shared" && !contains(keys(s.tags), "kubernetes.io/role/internal-elb")])
    error_message = "public subnets must carry the internet-facing ELB tag and the cluster tag, and not the internal one"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : s.tags["kubernetes.io/role/internal-elb"] == "1" && s.tags["kubernetes.io/cluster/petrel-test"] == "shared" && !contains(keys(s.tags), "kubernetes.io/role/elb")])
    error_message = "private subnets must carry the internal ELB tag and the cluster tag, and not the public one"
  }

  assert {
    condition     = [for az in var.azs : aws_subnet.public[az].cidr_block] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"] && [for az in var.azs : aws_subnet.private[az].cidr_block] == ["10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"]
    error_message = "subnet layout drifted: public /24s at the bottom, private /20s above them"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "public subnets must not hand out public IPs on launch"
  }
}

run "flow_logs_capture_everything_encrypted" {
  command = plan

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination_type == "cloud-watch-logs"
    error_message = "flow logs must record ALL traffic to CloudWatch"
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == module.flow_logs_key.arn && aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    error_message = "flow logs must be encrypted with their own key and kept a year by default"
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "the default security group must have no rules"
  }
}

# A zone's ranges follow its letter, not its position: replacing us-east-1a with us-east-1d keeps
# b and c where they were and gives d ranges no other zone ever had (no CIDR conflict on the way).
run "zones_keep_their_ranges_wherever_listed" {
  command = plan

  variables {
    azs = ["us-east-1c", "us-east-1b", "us-east-1d"]
  }

  assert {
    condition = { for az, s in aws_subnet.public : az => s.cidr_block } == {
      "us-east-1b" = "10.0.1.0/24", "us-east-1c" = "10.0.2.0/24", "us-east-1d" = "10.0.3.0/24"
    }
    error_message = "public /24s must follow the zone letter (a = 10.0.0.0/24, b = 10.0.1.0/24, …)"
  }

  assert {
    condition = { for az, s in aws_subnet.private : az => s.cidr_block } == {
      "us-east-1b" = "10.0.32.0/20", "us-east-1c" = "10.0.48.0/20", "us-east-1d" = "10.0.64.0/20"
    }
    error_message = "private /20s must follow the zone letter (a = 10.0.16.0/20, b = 10.0.32.0/20, …)"
  }
}

run "rejects_a_zone_without_a_letter_for_its_ranges" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1b", "us-east-1-bos-1"]
  }

  expect_failures = [var.azs]
}

run "rejects_two_zones" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1b"]
  }

  expect_failures = [var.azs]
}
