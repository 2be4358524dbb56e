# SPDX-License-Identifier: BSD-3-Clause

output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "zones" {
  description = "Per availability zone, in input order: subnet IDs and CIDRs by role, and the NAT gateway with its egress IP. Ready for the exit-node module's zones."
  value = [for z in module.plan.zones : {
    name                 = z.name
    public_subnet_id     = aws_subnet.public[z.name].id
    public_cidr          = z.public_cidr
    egress_subnet_id     = aws_subnet.egress[z.name].id
    egress_cidr          = z.egress_cidr
    management_subnet_id = aws_subnet.management[z.name].id
    management_cidr      = z.management_cidr
    nat_gateway_id       = aws_nat_gateway.this[z.name].id
    nat_public_ip        = aws_eip.nat[z.name].public_ip
  }]
  # Elastic IPs on the nodes' public NICs need the internet gateway attached and routed first.
  depends_on = [aws_internet_gateway.this, aws_route.public_default]
}

output "nat_gateway_public_ips" {
  description = "Egress IP of each zone's NAT gateway: the source address the internet sees for exit traffic."
  value       = { for name, eip in aws_eip.nat : name => eip.public_ip }
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = aws_internet_gateway.this.id
}
