# SPDX-License-Identifier: BSD-3-Clause
# Exit nodes, one slot each. A slot owns an Elastic IP and three network interfaces that outlive
# its instances, so its address, MACs (and so its rendered configuration) stay put when the
# autoscaling group replaces the instance:
#   device 0  management  kept by the kernel: SSM agent, SSH from admin_cidrs, DNS, DERP over TCP
#   device 1  public      DPDK; Elastic IP; UDP listen port open to wireguard_ingress_cidrs
#   device 2  egress      DPDK; exit traffic, masqueraded, out through the zone's NAT gateway
# Each slot has its own launch template (user data rendered by appliance-config) and a
# one-instance autoscaling group in its zone, which replaces a failed instance.

module "plan" {
  source = "../exit-node-plan"

  name                    = var.name
  slots                   = var.slots
  zone_count              = length(var.zones)
  instance_type           = var.instance_type
  ami_id                  = var.ami_id
  dpdk_driver             = var.dpdk_driver
  wireguard_ingress_cidrs = var.wireguard_ingress_cidrs
  admin_cidrs             = var.admin_cidrs
}

data "aws_partition" "current" {}

# What the region says about the instance type; the plan module's checks work from its name only.
data "aws_ec2_instance_type" "this" {
  instance_type = var.instance_type

  lifecycle {
    postcondition {
      condition     = self.maximum_network_interfaces >= 3
      error_message = "instance_type: ${var.instance_type} takes ${self.maximum_network_interfaces} network interfaces; an exit node needs three (management, public, egress)."
    }
    postcondition {
      condition     = self.ena_support != "unsupported"
      error_message = "instance_type: ${var.instance_type} has no ENA, the NIC exitgate's DPDK build drives on AWS."
    }
    postcondition {
      condition     = self.default_vcpus >= 2
      error_message = "instance_type: ${var.instance_type} has one vCPU; the main lcore and a worker need two."
    }
  }
}

locals {
  vcpus   = data.aws_ec2_instance_type.this.default_vcpus
  workers = coalesce(var.workers, min(64, max(1, local.vcpus - 1)))

  slots = { for key, slot in module.plan.slots : key => merge(slot, { zone = var.zones[slot.zone_index] }) }

  # Roles in device-index order.
  roles = [
    { role = "management", device_index = 0, subnet = "management_subnet_id" },
    { role = "public", device_index = 1, subnet = "public_subnet_id" },
    { role = "egress", device_index = 2, subnet = "egress_subnet_id" },
  ]
  slot_roles = merge([for key, slot in local.slots : {
    for r in local.roles : "${key}/${r.role}" => {
      slot      = key
      role      = r.role
      name      = "${slot.name}-${r.role}"
      subnet_id = slot.zone[r.subnet]
    }
  }]...)
}

# Security groups, one per role, shared by the slots.

resource "aws_security_group" "public" {
  name        = "${var.name}-public"
  description = "exitgate public NICs: WireGuard, STUN and disco on UDP ${var.listen_port}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_vpc_security_group_ingress_rule" "wireguard_ipv4" {
  for_each = toset(module.plan.ingress_cidrs.ipv4)

  security_group_id = aws_security_group.public.id
  description       = "WireGuard, STUN and disco"
  ip_protocol       = "udp"
  from_port         = var.listen_port
  to_port           = var.listen_port
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "wireguard_ipv6" {
  for_each = toset(module.plan.ingress_cidrs.ipv6)

  security_group_id = aws_security_group.public.id
  description       = "WireGuard, STUN and disco"
  ip_protocol       = "udp"
  from_port         = var.listen_port
  to_port           = var.listen_port
  cidr_ipv6         = each.value
}

resource "aws_security_group" "egress" {
  name        = "${var.name}-egress"
  description = "exitgate egress NICs: outbound only (replies are tracked)"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-egress" })
}

resource "aws_security_group" "management" {
  name        = "${var.name}-management"
  description = "exitgate management NICs: SSH from the admin networks"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-management" })
}

resource "aws_vpc_security_group_ingress_rule" "ssh_ipv4" {
  for_each = toset(module.plan.admin_cidrs.ipv4)

  security_group_id = aws_security_group.management.id
  description       = "SSH from an admin network"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "ssh_ipv6" {
  for_each = toset(module.plan.admin_cidrs.ipv6)

  security_group_id = aws_security_group.management.id
  description       = "SSH from an admin network"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv6         = each.value
}

# Every role sends anywhere: encrypted packets to peers (public), exit traffic (egress), and
# SSM, DNS, DERP and package updates (management).
resource "aws_vpc_security_group_egress_rule" "all_ipv4" {
  for_each = local.security_groups

  security_group_id = each.value
  description       = "all outbound"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

locals {
  security_groups = {
    management = aws_security_group.management.id
    public     = aws_security_group.public.id
    egress     = aws_security_group.egress.id
  }
}

# Instance role: SSM Session Manager and Run Command, nothing else.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name_prefix        = "${var.name}-node-"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.node.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "node" {
  name_prefix = "${var.name}-node-"
  role        = aws_iam_role.node.name

  tags = var.tags
}

# Per slot: interfaces, Elastic IP, rendered appliance, launch template, autoscaling group.

resource "aws_network_interface" "slot" {
  for_each = local.slot_roles

  subnet_id       = each.value.subnet_id
  security_groups = [local.security_groups[each.value.role]]
  description     = "exitgate ${each.value.name}"

  tags = merge(var.tags, { Name = each.value.name, "exitgate:slot" = each.value.slot, "exitgate:role" = each.value.role })
}

# The Elastic IP belongs to the slot, not to an interface: when a slot moves to another zone (more
# zones re-spread the slots) it gets new interfaces there but keeps the address its peers know.
resource "aws_eip" "public" {
  for_each = local.slots

  domain = "vpc"

  tags = merge(var.tags, { Name = "${each.value.name}-public", "exitgate:slot" = each.key })
}

resource "aws_eip_association" "public" {
  for_each = local.slots

  allocation_id        = aws_eip.public[each.key].id
  network_interface_id = aws_network_interface.slot["${each.key}/public"].id
  private_ip_address   = aws_network_interface.slot["${each.key}/public"].private_ip
}

module "appliance" {
  source   = "../appliance-config"
  for_each = local.slots

  node_name   = each.value.name
  listen_port = var.listen_port
  private_key = lookup(var.private_keys, each.key, null)
  prefix      = var.exitgate_prefix

  public_subnet_cidr = each.value.zone.public_cidr
  public_address     = aws_network_interface.slot["${each.key}/public"].private_ip
  public_mac         = aws_network_interface.slot["${each.key}/public"].mac_address
  public_ip          = aws_eip.public[each.key].public_ip
  egress_subnet_cidr = each.value.zone.egress_cidr
  egress_address     = aws_network_interface.slot["${each.key}/egress"].private_ip
  egress_mac         = aws_network_interface.slot["${each.key}/egress"].mac_address

  workers     = local.workers
  hugepages   = var.hugepages
  dpdk_driver = module.plan.dpdk_driver
  packages    = var.packages

  stun_servers     = var.stun_servers
  derp_home_region = var.derp_home_region
  derp_regions     = var.derp_regions
  peers            = var.peers
  log_level        = var.log_level
}

resource "aws_launch_template" "slot" {
  for_each = local.slots

  name                   = each.value.name
  image_id               = var.ami_id
  instance_type          = var.instance_type
  key_name               = var.key_name
  update_default_version = true
  user_data              = module.appliance[each.key].user_data_base64

  iam_instance_profile {
    arn = aws_iam_instance_profile.node.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  dynamic "network_interfaces" {
    for_each = local.roles

    content {
      device_index          = network_interfaces.value.device_index
      network_interface_id  = aws_network_interface.slot["${each.key}/${network_interfaces.value.role}"].id
      delete_on_termination = false
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = each.value.name, "exitgate:slot" = each.key })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = each.value.name, "exitgate:slot" = each.key })
  }

  tags = merge(var.tags, { Name = each.value.name })

  lifecycle {
    precondition {
      condition     = local.workers < local.vcpus
      error_message = "workers: ${local.workers} workers and the main lcore need more than the ${local.vcpus} vCPUs of ${var.instance_type}."
    }
    precondition {
      condition     = var.hugepages * 2 <= data.aws_ec2_instance_type.this.memory_size / 2
      error_message = "hugepages: ${var.hugepages} x 2 MiB is more than half the ${data.aws_ec2_instance_type.this.memory_size} MiB of ${var.instance_type}."
    }
  }
}

resource "aws_autoscaling_group" "slot" {
  for_each = local.slots

  name                      = each.value.name
  min_size                  = 1
  max_size                  = 1
  desired_capacity          = 1
  vpc_zone_identifier       = [each.value.zone.management_subnet_id]
  health_check_type         = "EC2"
  health_check_grace_period = 300

  launch_template {
    id      = aws_launch_template.slot[each.key].id
    version = aws_launch_template.slot[each.key].latest_version
  }

  # A slot's interfaces attach to one instance at a time, so a replacement terminates the old
  # instance before launching the new one: the slot is down meanwhile. Every slot refreshing at
  # once would take the whole fleet down, hence opt-in (see the README for rolling by hand).
  dynamic "instance_refresh" {
    for_each = var.replace_on_change ? [true] : []

    content {
      strategy = "Rolling"

      preferences {
        min_healthy_percentage = 0
        max_healthy_percentage = 100
      }
    }
  }

  tag {
    key                 = "Name"
    value               = each.value.name
    propagate_at_launch = false
  }

  lifecycle {
    # New interfaces (a slot moved to another zone) cannot be attached while the instance holds
    # the old ones, and a primary interface cannot be detached at all: replacing the group
    # terminates the instance before the old interfaces are deleted.
    replace_triggered_by = [
      aws_network_interface.slot["${each.key}/management"].id,
      aws_network_interface.slot["${each.key}/public"].id,
      aws_network_interface.slot["${each.key}/egress"].id,
    ]
  }
}
