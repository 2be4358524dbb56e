# SPDX-License-Identifier: BSD-3-Clause
# Checked offline in the provider-free modules this one calls: placement, instance type and
# access in exit-node-plan, everything rendered on the node in appliance-config.

variable "name" {
  description = "Prefix of every resource name and Name tag; slot i is named <name>-<i>."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the zones' subnets."
  type        = string
}

variable "zones" {
  description = "Availability zones with their subnets and NAT gateway egress IP, as the network module's zones output."
  type = list(object({
    name                 = string
    public_subnet_id     = string
    public_cidr          = string
    egress_subnet_id     = string
    egress_cidr          = string
    management_subnet_id = string
    nat_public_ip        = string
  }))
}

variable "slots" {
  description = "Number of exit nodes. Slot i runs in zone i mod len(zones), in a one-instance autoscaling group of its own; raise the count to scale out."
  type        = number
}

variable "instance_type" {
  description = "EC2 instance type (Nitro with ENA, at least three network interfaces)."
  type        = string
}

variable "ami_id" {
  description = "Image with exitgate installed (`meson install` with prefix exitgate_prefix), the dpdk package (dpdk-devbind.py), openssl, and dpdk-kmods-dkms where igb_uio is used."
  type        = string
}

variable "exitgate_prefix" {
  description = "Installation prefix of exitgate on the image."
  type        = string
  default     = "/usr"
}

variable "key_name" {
  description = "EC2 key pair for SSH on the management interface; null: none (SSM Session Manager only)."
  type        = string
  default     = null
}

variable "listen_port" {
  description = "UDP port of WireGuard, STUN and disco on the public interface."
  type        = number
  default     = 41641
}

variable "wireguard_ingress_cidrs" {
  description = "Sources allowed to reach the UDP listen port."
  type        = list(string)
  default     = ["0.0.0.0/0", "::/0"]
}

variable "admin_cidrs" {
  description = "Sources allowed to reach SSH on the management interface; empty: none."
  type        = list(string)
  default     = []
}

variable "dpdk_driver" {
  description = "auto (igb_uio with write-combining on 6th-generation and later types, vfio-pci before), vfio-pci or igb_uio."
  type        = string
  default     = "auto"
}

variable "workers" {
  description = "Worker lcores per node; null: every vCPU but the one the main lcore and the kernel keep."
  type        = number
  default     = null
}

variable "hugepages" {
  description = "2 MiB hugepages reserved for DPDK on each node."
  type        = number
  default     = 1024
}

variable "private_keys" {
  description = "WireGuard private keys by slot key (\"0\", \"1\", ...). A slot without one makes its own at first boot, and a new one whenever its instance is replaced."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "peers" {
  description = "WireGuard peers of every node (see the appliance-config module)."
  type = list(object({
    name                 = optional(string)
    public_key           = string
    preshared_key        = optional(string)
    allowed_ips          = optional(list(string), [])
    endpoint             = optional(string)
    persistent_keepalive = optional(number)
    path                 = optional(string)
  }))
  default = []
}

variable "derp_regions" {
  description = "DERP map of every node (see the appliance-config module)."
  type = list(object({
    region_id   = number
    region_code = string
    region_name = optional(string)
    nodes = list(object({
      name       = string
      host_name  = string
      cert_name  = optional(string)
      ipv4       = optional(string)
      ipv6       = optional(string)
      stun_port  = optional(number)
      stun_only  = optional(bool)
      derp_port  = optional(number)
      can_port80 = optional(bool)
    }))
  }))
  default = []
}

variable "derp_home_region" {
  description = "derp.home_region; 0 chooses by latency."
  type        = number
  default     = 0
}

variable "stun_servers" {
  description = "STUN servers, host:port."
  type        = list(string)
  default     = []
}

variable "packages" {
  description = "Debian packages cloud-init installs at first boot, for images that lack them."
  type        = list(string)
  default     = []
}

variable "log_level" {
  description = "exitgated log level: error, warn, info or debug."
  type        = string
  default     = "info"
}

variable "replace_on_change" {
  description = "Replace a slot's instance as soon as its launch template changes (all slots at once). False: a new template version is used when the instance is next replaced; roll slots one by one with an instance refresh per autoscaling group."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
