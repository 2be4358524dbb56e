# SPDX-License-Identifier: BSD-3-Clause

variable "region" {
  description = "AWS region."
  type        = string
}

variable "name" {
  description = "Name of the deployment; prefixes every resource."
  type        = string
  default     = "exitgate"
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.20.0.0/16"
}

variable "availability_zones" {
  description = "Zones to spread the slots over; append, never reorder."
  type        = list(string)
}

variable "slots" {
  description = "Number of exit nodes."
  type        = number
  default     = 2
}

variable "instance_type" {
  description = "EC2 instance type of the nodes."
  type        = string
  default     = "c6in.xlarge"
}

variable "ami_id" {
  description = "Image with exitgate installed."
  type        = string
}

variable "listen_port" {
  description = "UDP port of WireGuard on the public interfaces."
  type        = number
  default     = 41641
}

variable "admin_cidrs" {
  description = "Networks allowed to SSH to the management interfaces; empty: SSM only."
  type        = list(string)
  default     = []
}

variable "private_keys" {
  description = "WireGuard private keys by slot (\"0\", \"1\", ...); slots without one make their own."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "peers" {
  description = "WireGuard peers of every node."
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
  description = "DERP map of every node."
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
