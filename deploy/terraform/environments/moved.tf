# Until the emulator's change tests (scripts/check-terraform.sh) showed it, the network module
# numbered its per-zone resources by position in azs, so that changing one zone replaced the
# subnets, NAT gateways and routes of the zones listed after it. They are keyed by zone now; these
# blocks carry state written before that to the new addresses without touching anything (every
# environment listed us-east-1a, b and c in that order). Delete this file once every environment
# has applied it.

moved {
  from = module.network.aws_subnet.public[0]
  to   = module.network.aws_subnet.public["us-east-1a"]
}

moved {
  from = module.network.aws_subnet.public[1]
  to   = module.network.aws_subnet.public["us-east-1b"]
}

moved {
  from = module.network.aws_subnet.public[2]
  to   = module.network.aws_subnet.public["us-east-1c"]
}

moved {
  from = module.network.aws_subnet.private[0]
  to   = module.network.aws_subnet.private["us-east-1a"]
}

moved {
  from = module.network.aws_subnet.private[1]
  to   = module.network.aws_subnet.private["us-east-1b"]
}

moved {
  from = module.network.aws_subnet.private[2]
  to   = module.network.aws_subnet.private["us-east-1c"]
}

moved {
  from = module.network.aws_route_table_association.public[0]
  to   = module.network.aws_route_table_association.public["us-east-1a"]
}

moved {
  from = module.network.aws_route_table_association.public[1]
  to   = module.network.aws_route_table_association.public["us-east-1b"]
}

moved {
  from = module.network.aws_route_table_association.public[2]
  to   = module.network.aws_route_table_association.public["us-east-1c"]
}

moved {
  from = module.network.aws_route_table_association.private[0]
  to   = module.network.aws_route_table_association.private["us-east-1a"]
}

moved {
  from = module.network.aws_route_table_association.private[1]
  to   = module.network.aws_route_table_association.private["us-east-1b"]
}

moved {
  from = module.network.aws_route_table_association.private[2]
  to   = module.network.aws_route_table_association.private["us-east-1c"]
}

moved {
  from = module.network.aws_route_table.private[0]
  to   = module.network.aws_route_table.private["us-east-1a"]
}

moved {
  from = module.network.aws_route_table.private[1]
  to   = module.network.aws_route_table.private["us-east-1b"]
}

moved {
  from = module.network.aws_route_table.private[2]
  to   = module.network.aws_route_table.private["us-east-1c"]
}

moved {
  from = module.network.aws_route.private_nat[0]
  to   = module.network.aws_route.private_nat["us-east-1a"]
}

moved {
  from = module.network.aws_route.private_nat[1]
  to   = module.network.aws_route.private_nat["us-east-1b"]
}

moved {
  from = module.network.aws_route.private_nat[2]
  to   = module.network.aws_route.private_nat["us-east-1c"]
}

moved {
  from = module.network.aws_eip.nat[0]
  to   = module.network.aws_eip.nat["us-east-1a"]
}

moved {
  from = module.network.aws_eip.nat[1]
  to   = module.network.aws_eip.nat["us-east-1b"]
}

moved {
  from = module.network.aws_eip.nat[2]
  to   = module.network.aws_eip.nat["us-east-1c"]
}

moved {
  from = module.network.aws_nat_gateway.this[0]
  to   = module.network.aws_nat_gateway.this["us-east-1a"]
}

moved {
  from = module.network.aws_nat_gateway.this[1]
  to   = module.network.aws_nat_gateway.this["us-east-1b"]
}

moved {
  from = module.network.aws_nat_gateway.this[2]
  to   = module.network.aws_nat_gateway.this["us-east-1c"]
}
