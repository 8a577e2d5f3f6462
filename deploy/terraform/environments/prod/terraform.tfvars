# prod: a NAT gateway per zone, a private-only Kubernetes API, a year of logs, and a node per
# zone at least (the three Elasticsearch nodes require one Kubernetes node each).
environment        = "prod"
region             = "us-east-1"
azs                = ["us-east-1a", "us-east-1b", "us-east-1c"]
single_nat_gateway = false
kubernetes_version = "1.35"
log_retention_days = 365

endpoint_public_access = false
# The deploy job runs on a self-hosted runner (or a VPN) inside this VPC; pods already reach the API.
endpoint_private_access_cidrs = ["10.0.0.0/16"]

cluster_admin_role_names = ["petrel-deploy-prod"]

node_group = { min_size = 3, desired_size = 3, max_size = 6 }
