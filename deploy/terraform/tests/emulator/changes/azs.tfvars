# Change test (emulator stage, prod, after instance-type.tfvars): drop zone a, add zone d.
# Zones b and c stay: nothing of theirs may be replaced or lose its egress (NAT gateway, route,
# route table and its associations).
azs = ["us-east-1b", "us-east-1c", "us-east-1d"]
