# SPDX-License-Identifier: BSD-3-Clause

output "slots" {
  description = "Slots by key (\"0\", \"1\", ...): index, zone_index, name."
  value       = local.slots
}

output "instance_family" {
  description = "Family, generation and whether ENA needs write-combining on this instance type."
  value = {
    family          = local.type_parts[0]
    generation      = local.generation
    size            = local.type_parts[3]
    write_combining = local.write_combining
  }
}

output "dpdk_driver" {
  description = "The DPDK kernel driver the nodes bind their NICs to."
  value       = local.dpdk_driver
}

output "ingress_cidrs" {
  description = "WireGuard ingress sources, split for security-group rules: { ipv4 = [...], ipv6 = [...] }."
  value       = { ipv4 = local.ipv4.ingress, ipv6 = local.ipv6.ingress }
}

output "admin_cidrs" {
  description = "SSH sources, split for security-group rules: { ipv4 = [...], ipv6 = [...] }."
  value       = { ipv4 = local.ipv4.admin, ipv6 = local.ipv6.admin }
}
