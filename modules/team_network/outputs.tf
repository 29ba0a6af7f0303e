output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "VPC CIDR."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Private subnet ids, one per AZ."
  value       = [for az in local.azs : aws_subnet.private[az].id if contains(keys(local.private), az)]
}

output "private_route_table_ids" {
  description = "Private route table ids (the gateway endpoints are attached to them)."
  value       = [for rt in aws_route_table.private : rt.id]
}

output "gateway_endpoint_ids" {
  description = "Gateway endpoint ids by service (s3, dynamodb)."
  value       = { for k, e in aws_vpc_endpoint.gateway : k => e.id }
}

output "nat_gateway_id" {
  description = "NAT gateway id (null when disabled)."
  value       = try(aws_nat_gateway.this[0].id, null)
}
