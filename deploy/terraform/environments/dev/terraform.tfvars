# dev: cheapest shape that still runs the whole kit. One NAT gateway, a public API endpoint
# for people and CI (restricted to the ranges below), short log retention.
environment        = "dev"
region             = "us-east-1"
azs                = ["us-east-1a", "us-east-1b", "us-east-1c"]
single_nat_gateway = true
kubernetes_version = "1.35"
log_retention_days = 30

endpoint_public_access = true
# Placeholder (TEST-NET-3): replace with the office/VPN egress and the CI runners' fixed addresses.
endpoint_public_access_cidrs = ["203.0.113.0/24"]

cluster_admin_role_names = ["petrel-deploy-dev"]

node_group = { min_size = 2, desired_size = 2, max_size = 3 }
