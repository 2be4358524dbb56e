# SPDX-License-Identifier: BSD-3-Clause
# A provider-free root module the deploy tests apply to get one node's rendered files. The tests
# copy it beside a copy of deploy/ (hence the relative source) and pass where the key lives.

variable "private_key_file" {
  type = string
}

module "node" {
  source = "../deploy/terraform/modules/appliance-config"

  node_name        = "render-test"
  private_key_file = var.private_key_file

  public_subnet_cidr = "10.20.0.0/24"
  public_address     = "10.20.0.10"
  public_mac         = "0a:00:5e:00:00:01"
  public_ip          = "203.0.113.7"
  egress_subnet_cidr = "10.20.1.0/24"
  egress_address     = "10.20.1.10"
  egress_mac         = "0a:00:5e:00:00:02"

  workers      = 2
  hugepages    = 1024
  dpdk_driver  = "igb_uio"
  stun_servers = ["stun.example.net:3478"]
  derp_regions = [{
    region_id   = 900
    region_code = "own"
    region_name = "own relays"
    nodes = [
      { name = "900a", host_name = "derp-a.example.net", ipv4 = "198.51.100.10", ipv6 = "none" },
      { name = "900b", host_name = "derp-b.example.net", stun_port = -1, derp_port = 8443 },
    ]
  }]
  peers = [
    {
      name                 = "laptop"
      public_key           = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE="
      allowed_ips          = ["100.64.0.2/32", "fd7a:115c:a1e0::2/128"]
      persistent_keepalive = 25
    },
    {
      name        = "branch-office"
      public_key  = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
      allowed_ips = ["100.64.1.0/24"]
      endpoint    = "198.51.100.7:41641"
      path        = "direct"
    },
  ]
}

output "config_yaml" {
  value = module.node.config_yaml
}

output "defaults" {
  value = module.node.defaults
}

output "systemd_units" {
  value = module.node.systemd_units
}

output "cloud_config" {
  value     = module.node.cloud_config
  sensitive = true
}
