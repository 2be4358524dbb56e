# SPDX-License-Identifier: BSD-3-Clause
# Every validation refuses what it should: each run changes one variable to a bad value and
# expects exactly that variable (or output) to fail at plan.

variables {
  public_subnet_cidr = "10.20.0.0/24"
  public_address     = "10.20.0.10"
  public_mac         = "0a:1b:2c:3d:4e:01"
  egress_subnet_cidr = "10.20.16.0/24"
  egress_address     = "10.20.16.10"
  egress_mac         = "0a:1b:2c:3d:4e:02"
}

run "valid_baseline" {
  command = plan

  assert {
    condition     = yamldecode(output.config_yaml).ports.public.gateway == "10.20.0.1"
    error_message = "the baseline the failing runs start from is itself valid"
  }
}

run "listen_port_zero" {
  command = plan

  variables {
    listen_port = 0
  }

  expect_failures = [var.listen_port]
}

run "listen_port_too_big" {
  command = plan

  variables {
    listen_port = 65536
  }

  expect_failures = [var.listen_port]
}

run "listen_port_fraction" {
  command = plan

  variables {
    listen_port = 4164.5
  }

  expect_failures = [var.listen_port]
}

run "interface_name_too_long" {
  command = plan

  variables {
    interface_name = "exitgate-interface0"
  }

  expect_failures = [var.interface_name]
}

run "interface_name_slash" {
  command = plan

  variables {
    interface_name = "eg/0"
  }

  expect_failures = [var.interface_name]
}

run "tunnel_mtu_too_small" {
  command = plan

  variables {
    tunnel_mtu = 500
  }

  expect_failures = [var.tunnel_mtu]
}

run "private_key_short" {
  command = plan

  variables {
    private_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/y="
  }

  expect_failures = [var.private_key]
}

run "private_key_not_32_bytes" {
  command = plan

  variables {
    private_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yB="
  }

  expect_failures = [var.private_key]
}

run "private_key_file_relative" {
  command = plan

  variables {
    private_key_file = "private.key"
  }

  expect_failures = [var.private_key_file]
}

run "prefix_relative" {
  command = plan

  variables {
    prefix = "usr"
  }

  expect_failures = [var.prefix]
}

run "public_subnet_host_bits" {
  command = plan

  variables {
    public_subnet_cidr = "10.20.0.5/24"
  }

  expect_failures = [var.public_subnet_cidr]
}

run "public_subnet_prefix_too_long" {
  command = plan

  variables {
    public_subnet_cidr = "10.20.0.0/33"
  }

  expect_failures = [var.public_subnet_cidr]
}

run "public_subnet_ipv6" {
  command = plan

  variables {
    public_subnet_cidr = "fd00::/64"
  }

  expect_failures = [var.public_subnet_cidr]
}

run "public_subnet_garbage" {
  command = plan

  variables {
    public_subnet_cidr = "ten.twenty/24"
  }

  expect_failures = [var.public_subnet_cidr]
}

run "public_address_outside_subnet" {
  command = plan

  variables {
    public_address = "10.20.1.10"
  }

  expect_failures = [var.public_address]
}

run "public_address_bad" {
  command = plan

  variables {
    public_address = "10.20.0.300"
  }

  expect_failures = [var.public_address]
}

run "public_gateway_bad" {
  command = plan

  variables {
    public_gateway = "gateway"
  }

  expect_failures = [var.public_gateway]
}

run "public_mac_bad" {
  command = plan

  variables {
    public_mac = "0a:1b:2c:3d:4e"
  }

  expect_failures = [var.public_mac]
}

run "public_device_bad" {
  command = plan

  variables {
    public_device = "eth1"
    public_mac    = null
  }

  expect_failures = [var.public_device]
}

run "public_ip_bad" {
  command = plan

  variables {
    public_ip = "203.0.113.256"
  }

  expect_failures = [var.public_ip]
}

run "egress_subnet_host_bits" {
  command = plan

  variables {
    egress_subnet_cidr = "10.20.16.1/24"
  }

  expect_failures = [var.egress_subnet_cidr]
}

run "egress_address_outside_subnet" {
  command = plan

  variables {
    egress_address = "10.20.0.10"
  }

  expect_failures = [var.egress_address]
}

run "egress_gateway_bad" {
  command = plan

  variables {
    egress_gateway = "10.20.16"
  }

  expect_failures = [var.egress_gateway]
}

run "egress_mac_bad" {
  command = plan

  variables {
    egress_mac = "0a-1b-2c-3d-4e-02"
  }

  expect_failures = [var.egress_mac]
}

run "workers_zero" {
  command = plan

  variables {
    workers = 0
  }

  expect_failures = [var.workers]
}

run "workers_too_many" {
  command = plan

  variables {
    workers = 65
  }

  expect_failures = [var.workers]
}

run "idle_bad" {
  command = plan

  variables {
    idle = "sleep"
  }

  expect_failures = [var.idle]
}

run "hugepages_too_few" {
  command = plan

  variables {
    hugepages = 16
  }

  expect_failures = [var.hugepages]
}

run "dpdk_driver_bad" {
  command = plan

  variables {
    dpdk_driver = "uio_pci_generic"
  }

  expect_failures = [var.dpdk_driver]
}

run "packages_bad" {
  command = plan

  variables {
    packages = ["dpdk; rm -rf /"]
  }

  expect_failures = [var.packages]
}

run "stun_server_without_port" {
  command = plan

  variables {
    stun_servers = ["stun.example.net"]
  }

  expect_failures = [var.stun_servers]
}

run "port_mapping_bad" {
  command = plan

  variables {
    port_mapping = ["upnp", "ssdp"]
  }

  expect_failures = [var.port_mapping]
}

run "derp_home_region_negative" {
  command = plan

  variables {
    derp_home_region = -1
  }

  expect_failures = [var.derp_home_region]
}

run "log_level_bad" {
  command = plan

  variables {
    log_level = "verbose"
  }

  expect_failures = [var.log_level]
}

run "derp_region_id_zero" {
  command = plan

  variables {
    derp_regions = [{ region_id = 0, region_code = "lab", nodes = [{ name = "900a", host_name = "derp.example.net" }] }]
  }

  expect_failures = [var.derp_regions]
}

run "derp_region_id_duplicate" {
  command = plan

  variables {
    derp_regions = [{ region_id = 900, region_code = "a", nodes = [{ name = "a1", host_name = "a.example.net" }] }, { region_id = 900, region_code = "b", nodes = [{ name = "b1", host_name = "b.example.net" }] }]
  }

  expect_failures = [var.derp_regions]
}

run "derp_region_without_nodes" {
  command = plan

  variables {
    derp_regions = [{ region_id = 900, region_code = "lab", nodes = [] }]
  }

  expect_failures = [var.derp_regions]
}

run "derp_node_names_duplicate" {
  command = plan

  variables {
    derp_regions = [{ region_id = 900, region_code = "lab", nodes = [{ name = "900a", host_name = "derp.example.net" }, { name = "900a", host_name = "derp.example.net" }] }]
  }

  expect_failures = [var.derp_regions]
}

run "derp_cert_name_bad" {
  command = plan

  variables {
    derp_regions = [{ region_id = 900, region_code = "lab", nodes = [{ name = "900a", host_name = "derp.example.net", cert_name = "sha256-raw:XYZ" }] }]
  }

  expect_failures = [var.derp_regions]
}

run "derp_stun_port_bad" {
  command = plan

  variables {
    derp_regions = [{ region_id = 900, region_code = "lab", nodes = [{ name = "900a", host_name = "derp.example.net", stun_port = -2 }] }]
  }

  expect_failures = [var.derp_regions]
}

run "derp_ipv4_bad" {
  command = plan

  variables {
    derp_regions = [{ region_id = 900, region_code = "lab", nodes = [{ name = "900a", host_name = "derp.example.net", ipv4 = "somewhere" }] }]
  }

  expect_failures = [var.derp_regions]
}

run "peer_public_key_bad" {
  command = plan

  variables {
    peers = [{ public_key = "not-a-key" }]
  }

  expect_failures = [var.peers]
}

run "peer_preshared_key_bad" {
  command = plan

  variables {
    peers = [{ public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=", preshared_key = "c2hvcnQ=" }]
  }

  expect_failures = [var.peers]
}

run "peer_duplicate" {
  command = plan

  variables {
    peers = [{ public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=" }, { public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=" }]
  }

  expect_failures = [var.peers]
}

run "peer_allowed_ips_host_bits" {
  command = plan

  variables {
    peers = [{ public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=", allowed_ips = ["100.64.0.2/24"] }]
  }

  expect_failures = [var.peers]
}

run "peer_allowed_ips_bad" {
  command = plan

  variables {
    peers = [{ public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=", allowed_ips = ["100.64.0.2"] }]
  }

  expect_failures = [var.peers]
}

run "peer_endpoint_without_port" {
  command = plan

  variables {
    peers = [{ public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=", endpoint = "198.51.100.7" }]
  }

  expect_failures = [var.peers]
}

run "peer_keepalive_too_big" {
  command = plan

  variables {
    peers = [{ public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=", persistent_keepalive = 70000 }]
  }

  expect_failures = [var.peers]
}

run "peer_path_bad" {
  command = plan

  variables {
    peers = [{ public_key = "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE=", path = "fastest" }]
  }

  expect_failures = [var.peers]
}

run "public_mac_and_device" {
  command = plan

  variables {
    public_device = "0000:00:06.0"
  }

  expect_failures = [var.public_mac]
}

run "egress_neither_mac_nor_device" {
  command = plan

  variables {
    egress_mac = null
  }

  expect_failures = [var.egress_mac]
}

# Lists of peers made by a helper module (OpenTofu allows no function call in a variables
# block; both take another run's outputs there). Each helper run comes just before the run that
# uses it: OpenTofu keeps only the latest outputs of runs of the same module.
run "thousand_peers" {
  module {
    source = "./tests/peers"
  }

  variables {
    peer_count = 1000
  }
}

# EC2 takes at most 16 KiB of user data: a thousand peers with random keys do not fit.
run "user_data_too_big" {
  command = plan

  variables {
    peers = run.thousand_peers.peers_without_ips
  }

  expect_failures = [output.user_data_base64]
}

run "hundred_peers" {
  module {
    source = "./tests/peers"
  }

  variables {
    peer_count = 100
  }
}

run "user_data_fits_a_hundred_peers" {
  command = plan

  variables {
    peers = run.hundred_peers.peers
  }

  assert {
    condition     = length(yamldecode(output.config_yaml).peers) == 100
    error_message = "a hundred peers are rendered and fit in the user data"
  }
}
