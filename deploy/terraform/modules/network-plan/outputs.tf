# SPDX-License-Identifier: BSD-3-Clause

output "zones" {
  description = "Per availability zone, in input order: name, index, the three subnet CIDRs and their gateways."
  value       = local.zones
}
