# SPDX-License-Identifier: BSD-3-Clause

variable "name" {
  description = "Prefix of every resource name and Name tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name: 2..32 characters of lower-case letters, digits and '-', starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", var.vpc_cidr)) && try(cidrhost(var.vpc_cidr, 0) == split("/", var.vpc_cidr)[0], false)
    error_message = "vpc_cidr: an IPv4 network in CIDR notation with the host bits zero, e.g. 10.20.0.0/16."
  }
  validation {
    condition     = try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 26, false)
    error_message = "vpc_cidr: AWS VPCs are /16 to /28, and three subnets per zone need at least a /26."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread over, in a fixed order: append new zones at the end, since a zone's subnets are numbered by its position."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 1 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones: at least one zone, each once."
  }
  validation {
    condition     = alltrue([for z in var.availability_zones : can(regex("^[a-z]{2}(-[a-z0-9]+)+-[0-9]+[a-z]$", z))])
    error_message = "availability_zones: zone names such as eu-central-1a."
  }
}

variable "subnet_prefix_length" {
  description = "Prefix length of every subnet (public, egress, management); each zone takes an aligned block of four."
  type        = number
  default     = 24

  validation {
    condition     = var.subnet_prefix_length == floor(var.subnet_prefix_length) && var.subnet_prefix_length >= 16 && var.subnet_prefix_length <= 28
    error_message = "subnet_prefix_length: an integer, 16..28 (AWS subnets are /16 to /28)."
  }
  validation {
    condition     = try(pow(2, var.subnet_prefix_length - tonumber(split("/", var.vpc_cidr)[1])) >= 4 * length(var.availability_zones), false)
    error_message = "subnet_prefix_length: the VPC must hold four subnets of this size per availability zone."
  }
}
