# SPDX-License-Identifier: BSD-3-Clause
# Checked in the provider-free network-plan module, which `terraform test` runs offline.

variable "name" {
  description = "Prefix of every resource name and Name tag."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC, /16 to /26."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones, in a fixed order: append new zones at the end."
  type        = list(string)
}

variable "subnet_prefix_length" {
  description = "Prefix length of every subnet; each zone takes an aligned block of four."
  type        = number
  default     = 24
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
