# SPDX-License-Identifier: BSD-3-Clause
# Renders one exit node: exitgate's YAML configuration (config/schema.md), /etc/default/exitgate,
# the systemd units and the NIC set-up script (the same files `meson install` installs, from
# deploy/systemd and deploy/scripts), and a cloud-init document that writes them all and starts
# exitgated.
#
# PCI addresses of cloud NICs are only known on the instance. A role given by MAC gets the device
# @EXITGATE_<ROLE>_DEVICE@ in exitgate.yaml.in; exitgate-dpdk-setup binds the NIC with that MAC at
# boot and writes exitgate.yaml with the PCI address in its place, checked by --check-config.

locals {
  deploy_dir = "${path.module}/../../.."
  bindir     = "${var.prefix}/bin"
  libexecdir = "${var.prefix}/libexec"
  config_dir = "/etc/exitgate"

  roles = {
    public = {
      subnet  = var.public_subnet_cidr
      address = var.public_address
      gateway = coalesce(var.public_gateway, cidrhost(var.public_subnet_cidr, 1))
      mac     = var.public_mac == null ? null : lower(var.public_mac)
      device  = coalesce(var.public_device, "@EXITGATE_PUBLIC_DEVICE@")
    }
    egress = {
      subnet  = var.egress_subnet_cidr
      address = var.egress_address
      gateway = coalesce(var.egress_gateway, cidrhost(var.egress_subnet_cidr, 1))
      mac     = var.egress_mac == null ? null : lower(var.egress_mac)
      device  = coalesce(var.egress_device, "@EXITGATE_EGRESS_DEVICE@")
    }
  }

  # Optional settings are left out rather than written as null: the loader's defaults apply.
  config = {
    node = merge(
      {
        private_key_file = var.private_key_file
        listen_port      = var.listen_port
        interface        = var.interface_name
      },
      var.tunnel_mtu == null ? {} : { mtu = var.tunnel_mtu },
    )
    dataplane = {
      workers = var.workers
      idle    = var.idle
      eal     = var.eal_args
    }
    ports = {
      for role, port in local.roles : role => {
        device    = port.device
        addresses = ["${port.address}/${split("/", port.subnet)[1]}"]
        gateway   = port.gateway
      }
    }
    exit = {
      enabled    = var.exit_enabled
      masquerade = var.masquerade
    }
    nat_traversal = {
      stun             = var.stun_servers
      port_mapping     = var.port_mapping
      static_endpoints = var.public_ip == null ? [] : ["${var.public_ip}:${var.listen_port}"]
    }
    derp = {
      home_region = var.derp_home_region
      regions = [for r in var.derp_regions : merge(
        { for k, v in r : k => v if v != null && k != "nodes" },
        { nodes = [for n in r.nodes : { for k, v in n : k => v if v != null }] },
      )]
    }
    peers = [for p in var.peers : { for k, v in p : k => v if v != null }]
    log = {
      level = var.log_level
    }
  }

  config_yaml = join("", [
    "# exitgate configuration of node ${var.node_name}, rendered by terraform (appliance-config).\n",
    "# Devices @EXITGATE_<ROLE>_DEVICE@ are replaced at boot by the PCI address of the NIC with the\n",
    "# role's MAC in /etc/default/exitgate (see exitgate-dpdk-setup).\n",
    yamlencode(local.config),
  ])

  defaults = join("", concat(
    [
      "# /etc/default/exitgate of node ${var.node_name}, rendered by terraform (appliance-config).\n",
      "# Read by exitgate-dpdk-setup (NICs to bind, driver, hugepages, key) and exitgated.service.\n",
    ],
    [for role, port in local.roles : "EXITGATE_${upper(role)}_MAC=${port.mac}\n" if port.mac != null],
    [
      "EXITGATE_DPDK_DRIVER=${var.dpdk_driver}\n",
      "EXITGATE_HUGEPAGES=${var.hugepages}\n",
      "EXITGATE_PRIVATE_KEY_FILE=${var.private_key_file}\n",
    ],
  ))

  units = {
    for name in ["exitgate-dpdk-setup.service", "exitgated.service"] : name => replace(replace(
      file("${local.deploy_dir}/systemd/${name}.in"),
      "@bindir@", local.bindir),
    "@libexecdir@", local.libexecdir)
  }

  setup_script = file("${local.deploy_dir}/scripts/exitgate-dpdk-setup")

  cloud_config = merge(
    length(var.packages) == 0 ? {} : { packages = var.packages },
    {
      write_files = concat(
        [
          {
            path        = "${local.config_dir}/exitgate.yaml.in"
            owner       = "root:root"
            permissions = "0600"
            content     = local.config_yaml
          },
          {
            path        = "/etc/default/exitgate"
            owner       = "root:root"
            permissions = "0644"
            content     = local.defaults
          },
          {
            path        = "${local.libexecdir}/exitgate/exitgate-dpdk-setup"
            owner       = "root:root"
            permissions = "0755"
            content     = local.setup_script
          },
        ],
        [for name, text in local.units : {
          path        = "/etc/systemd/system/${name}"
          owner       = "root:root"
          permissions = "0644"
          content     = text
        }],
        var.private_key == null ? [] : [{
          path        = var.private_key_file
          owner       = "root:root"
          permissions = "0600"
          content     = "${var.private_key}\n"
        }],
      )
      # exitgated.service pulls in exitgate-dpdk-setup.service, which binds the NICs; both run
      # again on every boot.
      runcmd = [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "exitgated.service"],
      ]
    },
  )

  user_data = "#cloud-config\n${yamlencode(local.cloud_config)}"
}
