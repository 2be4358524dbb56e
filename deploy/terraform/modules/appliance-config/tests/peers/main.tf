# SPDX-License-Identifier: BSD-3-Clause
# Test helper: peer_count peers with distinct keys, for the size checks of validation.tftest.hcl.

variable "peer_count" {
  type = number
}

output "peers" {
  value = [for i in range(var.peer_count) : { public_key = base64sha256("peer ${i}"), allowed_ips = ["100.64.${floor(i / 256)}.${i % 256}/32"] }]
}

output "peers_without_ips" {
  value = [for i in range(var.peer_count) : { public_key = base64sha256("peer ${i}") }]
}
