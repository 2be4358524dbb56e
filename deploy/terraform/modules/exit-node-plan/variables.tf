# SPDX-License-Identifier: BSD-3-Clause

variable "name" {
  description = "Prefix of every resource name and Name tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name: 2..32 characters of lower-case letters, digits and '-', starting with a letter."
  }
}

variable "slots" {
  description = "Number of exit nodes; slot i runs in zone i mod zone_count."
  type        = number

  validation {
    condition     = var.slots == floor(var.slots) && var.slots >= 1 && var.slots <= 64
    error_message = "slots: an integer, 1..64."
  }
}

variable "zone_count" {
  description = "Number of availability zones the slots are spread over."
  type        = number

  validation {
    condition     = var.zone_count == floor(var.zone_count) && var.zone_count >= 1
    error_message = "zone_count: at least one zone."
  }
}

variable "instance_type" {
  description = "EC2 instance type: Nitro with ENA and at least three network interfaces (large or bigger)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+[0-9]+[a-z0-9-]*\\.[0-9a-z]+$", var.instance_type))
    error_message = "instance_type: an EC2 instance type name such as c6in.xlarge."
  }
  # Below large most types have two interfaces, and burstable small sizes would spend their CPU
  # credits on poll-mode cores. The exit-node module also checks the real interface count.
  validation {
    condition     = !can(regex("\\.(nano|micro|small|medium)$", var.instance_type))
    error_message = "instance_type: sizes below large lack the three network interfaces (management, public, egress) an exit node needs."
  }
  # ENA (the NIC DPDK drives here) came with Nitro: 5th-generation types, and t3 for burstable.
  validation {
    condition = try(
      tonumber(regex("^([a-z]+)([0-9]+)", var.instance_type)[1]) >= 5 ||
      (regex("^([a-z]+)([0-9]+)", var.instance_type)[0] == "t" && tonumber(regex("^([a-z]+)([0-9]+)", var.instance_type)[1]) >= 3),
    false)
    error_message = "instance_type: previous-generation types (before 5th generation, t2) have no ENA for DPDK."
  }
}

variable "ami_id" {
  description = "The image the nodes boot."
  type        = string

  validation {
    condition     = can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", var.ami_id))
    error_message = "ami_id: an AMI ID such as ami-0123456789abcdef0."
  }
}

variable "dpdk_driver" {
  description = "auto: igb_uio with write-combining on 6th-generation and later types (ENA needs it there), vfio-pci otherwise; or vfio-pci / igb_uio."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "vfio-pci", "igb_uio"], var.dpdk_driver)
    error_message = "dpdk_driver: auto, vfio-pci or igb_uio."
  }
}

variable "wireguard_ingress_cidrs" {
  description = "Sources (IPv4 and IPv6 CIDRs) allowed to reach the UDP listen port on the public interface."
  type        = list(string)
  default     = ["0.0.0.0/0", "::/0"]

  validation {
    condition     = length(var.wireguard_ingress_cidrs) > 0 && alltrue([for c in var.wireguard_ingress_cidrs : can(regex("^[0-9A-Fa-f.:]+/[0-9]{1,3}$", c)) && try(cidrhost(c, 0) == split("/", c)[0], false)])
    error_message = "wireguard_ingress_cidrs: at least one CIDR, each with the host bits zero."
  }
}

variable "admin_cidrs" {
  description = "Sources allowed to reach SSH on the management interface; empty: none (use SSM Session Manager)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.admin_cidrs : can(regex("^[0-9A-Fa-f.:]+/[0-9]{1,3}$", c)) && try(cidrhost(c, 0) == split("/", c)[0], false)])
    error_message = "admin_cidrs: CIDRs with the host bits zero."
  }
  validation {
    condition     = !anytrue([for c in var.admin_cidrs : contains(["0.0.0.0/0", "::/0"], c)])
    error_message = "admin_cidrs: SSH open to the whole internet is refused; name the admin networks."
  }
}
