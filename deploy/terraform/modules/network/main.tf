# SPDX-License-Identifier: BSD-3-Clause
# The exit-node VPC: per availability zone a public subnet (default route to the internet
# gateway; NAT gateway and the nodes' public NICs with Elastic IPs), an egress subnet (default
# route to the zone's NAT gateway: exit traffic leaves from the NAT gateway's address) and a
# management subnet (the NIC the kernel keeps; also behind the NAT gateway, reached through SSM).

module "plan" {
  source = "../network-plan"

  name                 = var.name
  vpc_cidr             = var.vpc_cidr
  availability_zones   = var.availability_zones
  subnet_prefix_length = var.subnet_prefix_length
}

locals {
  zones = { for z in module.plan.zones : z.name => z }
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  for_each = local.zones

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value.public_cidr
  # Public addresses are Elastic IPs given on purpose, never one per launch.
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${each.key}", "exitgate:role" = "public" })
}

resource "aws_subnet" "egress" {
  for_each = local.zones

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value.egress_cidr

  tags = merge(var.tags, { Name = "${var.name}-egress-${each.key}", "exitgate:role" = "egress" })
}

resource "aws_subnet" "management" {
  for_each = local.zones

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value.management_cidr

  tags = merge(var.tags, { Name = "${var.name}-management-${each.key}", "exitgate:role" = "management" })
}

# One NAT gateway per zone: a zone's egress never crosses to another zone, and losing a zone
# takes only its own nodes' egress with it.
resource "aws_eip" "nat" {
  for_each = local.zones

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = local.zones

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = local.zones

  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "egress" {
  for_each = local.zones

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-egress-${each.key}" })
}

resource "aws_route" "egress_default" {
  for_each = local.zones

  route_table_id         = aws_route_table.egress[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.key].id
}

resource "aws_route_table_association" "egress" {
  for_each = local.zones

  subnet_id      = aws_subnet.egress[each.key].id
  route_table_id = aws_route_table.egress[each.key].id
}

# Management has its own table so that it can be pointed elsewhere (a VPN, a transit gateway)
# without touching exit traffic.
resource "aws_route_table" "management" {
  for_each = local.zones

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-management-${each.key}" })
}

resource "aws_route" "management_default" {
  for_each = local.zones

  route_table_id         = aws_route_table.management[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.key].id
}

resource "aws_route_table_association" "management" {
  for_each = local.zones

  subnet_id      = aws_subnet.management[each.key].id
  route_table_id = aws_route_table.management[each.key].id
}
