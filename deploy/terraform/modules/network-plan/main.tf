# SPDX-License-Identifier: BSD-3-Clause
# Address plan of the exit-node VPC. Zone i takes the i-th aligned block of four subnets:
#   4i+0 public      NAT gateway and the nodes' public NICs (Elastic IPs); default route: IGW
#   4i+1 egress      the nodes' egress NICs; default route: the zone's NAT gateway
#   4i+2 management  the NICs the kernel keeps (SSM, SSH); default route: the NAT gateway
#   4i+3 unused      room for an inner LAN
# so a zone's subnets never move when zones are appended.

locals {
  newbits = var.subnet_prefix_length - tonumber(split("/", var.vpc_cidr)[1])

  zones = [for i, zone in var.availability_zones : {
    name            = zone
    index           = i
    public_cidr     = cidrsubnet(var.vpc_cidr, local.newbits, 4 * i)
    egress_cidr     = cidrsubnet(var.vpc_cidr, local.newbits, 4 * i + 1)
    management_cidr = cidrsubnet(var.vpc_cidr, local.newbits, 4 * i + 2)
    # The VPC router answers on each subnet's first host.
    public_gateway     = cidrhost(cidrsubnet(var.vpc_cidr, local.newbits, 4 * i), 1)
    egress_gateway     = cidrhost(cidrsubnet(var.vpc_cidr, local.newbits, 4 * i + 1), 1)
    management_gateway = cidrhost(cidrsubnet(var.vpc_cidr, local.newbits, 4 * i + 2), 1)
  }]
}
