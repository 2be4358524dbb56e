# SPDX-License-Identifier: BSD-3-Clause
# What the module renders from valid inputs. Runs offline: the module uses no provider.

variables {
  node_name          = "exit-a"
  public_subnet_cidr = "10.20.0.0/24"
  public_address     = "10.20.0.10"
  public_mac         = "0A:1B:2C:3D:4E:01"
  public_ip          = "203.0.113.7"
  egress_subnet_cidr = "10.20.16.0/22"
  egress_address     = "10.20.17.20"
  egress_mac         = "0a:1b:2c:3d:4e:02"
  workers            = 3
  hugepages          = 2048
  stun_servers       = ["stun.example.net:3478"]
  derp_regions = [{
    region_id   = 900
    region_code = "lab"
    nodes = [{
      name      = "900a"
      host_name = "derp.example.net"
      cert_name = "sha256-raw:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      stun_port = -1
    }]
  }]
  peers = [
    {
      name                 = "laptop"
      public_key           = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE="
      allowed_ips          = ["100.64.0.2/32", "fd7a:115c:a1e0::2/128"]
      persistent_keepalive = 25
    },
    {
      public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
      endpoint   = "198.51.100.7:41641"
      path       = "direct"
    },
  ]
}

run "config_from_subnets" {
  command = plan

  assert {
    condition     = yamldecode(output.config_yaml).ports.public == { device = "@EXITGATE_PUBLIC_DEVICE@", addresses = ["10.20.0.10/24"], gateway = "10.20.0.1" }
    error_message = "public port: device placeholder, address with the subnet's prefix, gateway = first host"
  }
  assert {
    condition     = yamldecode(output.config_yaml).ports.egress == { device = "@EXITGATE_EGRESS_DEVICE@", addresses = ["10.20.17.20/22"], gateway = "10.20.16.1" }
    error_message = "egress port: device placeholder, address with the subnet's prefix, gateway = first host"
  }
  assert {
    condition     = output.gateways == { public = "10.20.0.1", egress = "10.20.16.1" }
    error_message = "gateways output"
  }
  assert {
    condition     = yamldecode(output.config_yaml).node == { private_key_file = "/etc/exitgate/private.key", listen_port = 41641, interface = "eg0" }
    error_message = "node: defaults, no mtu key when tunnel_mtu is null"
  }
  assert {
    condition     = yamldecode(output.config_yaml).dataplane == { workers = 3, idle = "poll", eal = [] }
    error_message = "dataplane"
  }
  assert {
    condition     = yamldecode(output.config_yaml).exit == { enabled = true, masquerade = true }
    error_message = "exit enabled and masquerading by default"
  }
  assert {
    condition     = yamldecode(output.config_yaml).nat_traversal.static_endpoints == ["203.0.113.7:41641"]
    error_message = "the Elastic IP is advertised with the listen port"
  }
  assert {
    condition     = yamldecode(output.config_yaml).nat_traversal.stun == ["stun.example.net:3478"]
    error_message = "stun servers"
  }
  assert {
    condition = yamldecode(output.config_yaml).derp.regions == [{
      region_id   = 900
      region_code = "lab"
      nodes = [{
        name      = "900a"
        host_name = "derp.example.net"
        cert_name = "sha256-raw:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        stun_port = -1
      }]
    }]
    error_message = "DERP map: only the given keys, none written as null"
  }
  assert {
    condition = yamldecode(output.config_yaml).peers == [
      { name = "laptop", public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=", allowed_ips = ["100.64.0.2/32", "fd7a:115c:a1e0::2/128"], persistent_keepalive = 25 },
      { public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", allowed_ips = [], endpoint = "198.51.100.7:41641", path = "direct" },
    ]
    error_message = "peers: only the given keys, none written as null"
  }
  assert {
    condition     = startswith(output.config_yaml, "# exitgate configuration of node exit-a")
    error_message = "config header names the node"
  }
  assert {
    condition = output.defaults == join("", [
      "# /etc/default/exitgate of node exit-a, rendered by terraform (appliance-config).\n",
      "# Read by exitgate-dpdk-setup (NICs to bind, driver, hugepages, key) and exitgated.service.\n",
      "EXITGATE_EGRESS_MAC=0a:1b:2c:3d:4e:02\n",
      "EXITGATE_PUBLIC_MAC=0a:1b:2c:3d:4e:01\n",
      "EXITGATE_DPDK_DRIVER=vfio-pci\n",
      "EXITGATE_HUGEPAGES=2048\n",
      "EXITGATE_PRIVATE_KEY_FILE=/etc/exitgate/private.key\n",
    ])
    error_message = "defaults: MACs in lower case, driver, hugepages, key file"
  }
}

run "units_use_the_prefix" {
  command = plan

  variables {
    prefix = "/usr/local"
  }

  assert {
    condition     = strcontains(output.systemd_units["exitgated.service"], "\nExecStart=/usr/local/bin/exitgated $EXITGATE_ARGS\n")
    error_message = "exitgated.service runs <prefix>/bin/exitgated"
  }
  assert {
    condition     = strcontains(output.systemd_units["exitgated.service"], "\nExecReload=/usr/local/libexec/exitgate/exitgate-dpdk-setup render\nExecReload=/bin/kill -HUP $MAINPID\n")
    error_message = "reload re-renders the config, then sends SIGHUP"
  }
  assert {
    condition     = strcontains(output.systemd_units["exitgate-dpdk-setup.service"], "\nExecStart=/usr/local/libexec/exitgate/exitgate-dpdk-setup start\n")
    error_message = "the set-up unit runs <prefix>/libexec/exitgate/exitgate-dpdk-setup"
  }
  assert {
    condition     = alltrue([for text in values(output.systemd_units) : !strcontains(text, "@")])
    error_message = "no @...@ left in the units"
  }
}

run "cloud_config_writes_and_starts" {
  command = plan

  assert {
    condition     = startswith(output.cloud_config, "#cloud-config\n")
    error_message = "user data starts with #cloud-config"
  }
  assert {
    condition = [for f in yamldecode(output.cloud_config).write_files : [f.path, f.permissions]] == [
      ["/etc/exitgate/exitgate.yaml.in", "0600"],
      ["/etc/default/exitgate", "0644"],
      ["/usr/libexec/exitgate/exitgate-dpdk-setup", "0755"],
      ["/etc/systemd/system/exitgate-dpdk-setup.service", "0644"],
      ["/etc/systemd/system/exitgated.service", "0644"],
    ]
    error_message = "write_files: template, defaults, script, units; no key file without a private_key"
  }
  assert {
    condition     = yamldecode(output.cloud_config).write_files[2].content == file("${path.module}/../../../scripts/exitgate-dpdk-setup")
    error_message = "the set-up script is written unchanged"
  }
  assert {
    condition     = yamldecode(output.cloud_config).write_files[0].content == output.config_yaml
    error_message = "the config template is written unchanged"
  }
  assert {
    condition     = yamldecode(output.cloud_config).runcmd == [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "exitgated.service"]]
    error_message = "runcmd enables and starts exitgated"
  }
  assert {
    condition     = !contains(keys(yamldecode(output.cloud_config)), "packages")
    error_message = "no packages key when no packages are asked for"
  }
  assert {
    condition     = output.user_data_base64 == base64gzip(output.cloud_config)
    error_message = "user_data_base64 is the gzip-compressed cloud-init document"
  }
}

run "private_key_and_packages" {
  command = plan

  variables {
    private_key      = "kHc9v2cM7aRjd0ufgQjuT/PC9uyCvgXtJL5OvLq2v3w="
    private_key_file = "/etc/exitgate/node.key"
    packages         = ["dpdk", "dpdk-kmods-dkms"]
    dpdk_driver      = "igb_uio"
  }

  assert {
    condition = [for f in yamldecode(output.cloud_config).write_files : f if f.path == "/etc/exitgate/node.key"] == [{
      path        = "/etc/exitgate/node.key"
      owner       = "root:root"
      permissions = "0600"
      content     = "kHc9v2cM7aRjd0ufgQjuT/PC9uyCvgXtJL5OvLq2v3w=\n"
    }]
    error_message = "the given private key is written 0600 where the config points"
  }
  assert {
    condition     = yamldecode(output.config_yaml).node.private_key_file == "/etc/exitgate/node.key"
    error_message = "the config names the key file"
  }
  assert {
    condition     = strcontains(output.defaults, "\nEXITGATE_PRIVATE_KEY_FILE=/etc/exitgate/node.key\n") && strcontains(output.defaults, "\nEXITGATE_DPDK_DRIVER=igb_uio\n")
    error_message = "defaults: key file and driver"
  }
  assert {
    condition     = yamldecode(output.cloud_config).packages == ["dpdk", "dpdk-kmods-dkms"]
    error_message = "packages are installed by cloud-init"
  }
}

run "fixed_devices_and_overrides" {
  command = plan

  variables {
    public_mac     = null
    public_device  = "0000:00:06.0"
    egress_mac     = null
    egress_device  = "net_af_packet1,iface=veth1"
    public_gateway = "10.20.0.254"
    public_ip      = null
    tunnel_mtu     = 1380
    listen_port    = 51820
    exit_enabled   = false
  }

  assert {
    condition     = yamldecode(output.config_yaml).ports.public.device == "0000:00:06.0" && yamldecode(output.config_yaml).ports.egress.device == "net_af_packet1,iface=veth1"
    error_message = "fixed devices are written as given"
  }
  assert {
    condition     = !strcontains(output.defaults, "_MAC=")
    error_message = "no MAC to bind when the devices are fixed"
  }
  assert {
    condition     = yamldecode(output.config_yaml).ports.public.gateway == "10.20.0.254"
    error_message = "gateway override"
  }
  assert {
    condition     = yamldecode(output.config_yaml).nat_traversal.static_endpoints == []
    error_message = "no static endpoint without a public IP"
  }
  assert {
    condition     = yamldecode(output.config_yaml).node.mtu == 1380 && yamldecode(output.config_yaml).node.listen_port == 51820
    error_message = "tunnel MTU and listen port"
  }
  assert {
    condition     = yamldecode(output.config_yaml).exit.enabled == false
    error_message = "exit can be turned off"
  }
}
