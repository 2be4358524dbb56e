# SPDX-License-Identifier: BSD-3-Clause

output "public_ingress" {
  description = "Endpoint of each slot for its peers: Elastic IP and UDP port."
  value       = { for slot, ip in module.exit_nodes.public_ips : slot => "${ip}:${var.listen_port}" }
}

output "egress_ips" {
  description = "Address the internet sees for each slot's exit traffic (its zone's NAT gateway)."
  value       = module.exit_nodes.egress_ips
}

output "nat_gateway_public_ips" {
  description = "NAT gateway egress IP of each zone."
  value       = module.network.nat_gateway_public_ips
}

output "interfaces" {
  description = "Interface IDs, MACs and private IPs of each slot by role."
  value       = module.exit_nodes.interfaces
}

output "autoscaling_groups" {
  description = "Autoscaling group of each slot."
  value       = module.exit_nodes.autoscaling_groups
}
