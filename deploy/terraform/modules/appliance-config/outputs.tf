# SPDX-License-Identifier: BSD-3-Clause

output "config_yaml" {
  description = "exitgate.yaml.in: the node's configuration; devices of roles given by MAC are @EXITGATE_<ROLE>_DEVICE@ until boot."
  value       = local.config_yaml
}

output "defaults" {
  description = "/etc/default/exitgate."
  value       = local.defaults
}

output "systemd_units" {
  description = "Unit files by name, with the image's installation paths."
  value       = local.units
}

output "gateways" {
  description = "IPv4 next hop of each port role."
  value       = { for role, port in local.roles : role => port.gateway }
}

output "cloud_config" {
  description = "The cloud-init user-data document (#cloud-config); sensitive when it carries the private key."
  value       = local.user_data
  sensitive   = true
}

output "user_data_base64" {
  description = "The cloud-init document gzip-compressed and base64-encoded, for an EC2 launch template's user_data (cloud-init unpacks gzip)."
  value       = base64gzip(local.user_data)
  sensitive   = true

  precondition {
    # EC2 refuses user data over 16 KiB before base64; every 4 base64 characters carry 3 bytes.
    condition     = length(base64gzip(local.user_data)) / 4 * 3 <= 16384
    error_message = "The compressed user data exceeds EC2's 16 KiB: move peers out of the rendered config (e.g. add them at run time through the UAPI)."
  }
}
