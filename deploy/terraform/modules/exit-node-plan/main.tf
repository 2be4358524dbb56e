# SPDX-License-Identifier: BSD-3-Clause
# Slot placement and the derived settings of the exit-node module.

locals {
  type_parts = regex("^([a-z]+)([0-9]+)([a-z0-9-]*)\\.([0-9a-z]+)$", var.instance_type)
  generation = tonumber(local.type_parts[1])

  # The ENA's low-latency queue BAR must be mapped write-combining on 6th-generation and later
  # types; vfio-pci does not map it so, igb_uio with wc_activate=1 does.
  write_combining = local.type_parts[0] != "t" && local.generation >= 6
  dpdk_driver     = var.dpdk_driver != "auto" ? var.dpdk_driver : (local.write_combining ? "igb_uio" : "vfio-pci")

  # Keys are strings so that slots keep their addresses when the count grows or shrinks at the end.
  slots = { for i in range(var.slots) : tostring(i) => {
    index      = i
    zone_index = i % var.zone_count
    name       = "${var.name}-${i}"
  } }

  sources = { ingress = var.wireguard_ingress_cidrs, admin = var.admin_cidrs }
  ipv4    = { for kind, cidrs in local.sources : kind => [for c in cidrs : c if !strcontains(c, ":")] }
  ipv6    = { for kind, cidrs in local.sources : kind => [for c in cidrs : c if strcontains(c, ":")] }
}
