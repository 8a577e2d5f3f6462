# staging: production's shape (NAT per zone, same node type) at a smaller size; the API is
# public but restricted, so that GitHub-hosted runners with fixed egress can deploy.
environment        = "staging"
region             = "us-east-1"
azs                = ["us-east-1a", "us-east-1b", "us-east-1c"]
single_nat_gateway = false
kubernetes_version = "1.35"
log_retention_days = 90

endpoint_public_access = true
# Placeholder (TEST-NET-3): replace with the office/VPN egress and the CI runners' fixed addresses.
endpoint_public_access_cidrs = ["203.0.113.0/24"]

cluster_admin_role_names = ["petrel-deploy-staging"]

node_group = { min_size = 2, desired_size = 2, max_size = 4 }
