# SPDX-License-Identifier: BSD-3-Clause
# Exit nodes on AWS: a VPC with per-zone public, egress and management subnets and NAT gateways,
# and `slots` exit nodes spread over the zones. See ../../README.md.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project    = "exitgate"
      Deployment = var.name
    }
  }
}

module "network" {
  source = "../../modules/network"

  name               = var.name
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
}

module "exit_nodes" {
  source = "../../modules/exit-node"

  name          = var.name
  vpc_id        = module.network.vpc_id
  zones         = module.network.zones
  slots         = var.slots
  instance_type = var.instance_type
  ami_id        = var.ami_id
  listen_port   = var.listen_port
  admin_cidrs   = var.admin_cidrs
  private_keys  = var.private_keys
  peers         = var.peers
  derp_regions  = var.derp_regions
}
