output "vpc_id" {
  description = "VPC ID (the AWS Load Balancer Controller's vpcId value)."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "VPC CIDR block."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per zone, in var.azs order."
  value       = [for az in var.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per zone, in var.azs order."
  value       = [for az in var.azs : aws_subnet.private[az].id]
}

output "nat_public_ips" {
  description = "Egress addresses of the cluster (allow-list these at third parties)."
  value       = [for az in local.nat_zones : aws_eip.nat[az].public_ip]
}
