# SPDX-License-Identifier: BSD-3-Clause

output "public_ips" {
  description = "Elastic IP of each slot's public interface: the endpoint peers connect to (with listen_port)."
  value       = { for key, eip in aws_eip.public : key => eip.public_ip }
}

output "egress_ips" {
  description = "Source address of each slot's exit traffic: its zone's NAT gateway IP."
  value       = { for key, slot in local.slots : key => slot.zone.nat_public_ip }
}

output "interfaces" {
  description = "Network interfaces of each slot by role (management, public, egress): id, mac, private_ip, device_index."
  value = { for key, slot in local.slots : key => {
    for r in local.roles : r.role => {
      id           = aws_network_interface.slot["${key}/${r.role}"].id
      mac          = aws_network_interface.slot["${key}/${r.role}"].mac_address
      private_ip   = aws_network_interface.slot["${key}/${r.role}"].private_ip
      device_index = r.device_index
    }
  } }
}

output "zones" {
  description = "Availability zone of each slot."
  value       = { for key, slot in local.slots : key => slot.zone.name }
}

output "autoscaling_groups" {
  description = "Autoscaling group name of each slot."
  value       = { for key, asg in aws_autoscaling_group.slot : key => asg.name }
}

output "security_group_ids" {
  description = "Security group of each role."
  value       = local.security_groups
}

output "dpdk_driver" {
  description = "The DPDK kernel driver the nodes bind their NICs to."
  value       = module.plan.dpdk_driver
}

output "workers" {
  description = "Worker lcores per node."
  value       = local.workers
}
