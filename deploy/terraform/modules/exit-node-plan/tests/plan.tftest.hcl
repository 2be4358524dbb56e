# SPDX-License-Identifier: BSD-3-Clause

variables {
  name          = "exitgate"
  slots         = 5
  zone_count    = 3
  instance_type = "c6in.2xlarge"
  ami_id        = "ami-0123456789abcdef0"
}

run "slots_spread_over_zones" {
  command = plan

  assert {
    condition     = { for k, s in output.slots : k => s.zone_index } == { "0" = 0, "1" = 1, "2" = 2, "3" = 0, "4" = 1 }
    error_message = "slot i runs in zone i mod 3"
  }
  assert {
    condition     = [for k in sort(keys(output.slots)) : output.slots[k].name] == ["exitgate-0", "exitgate-1", "exitgate-2", "exitgate-3", "exitgate-4"]
    error_message = "slot names"
  }
}

run "sixth_generation_gets_write_combining" {
  command = plan

  assert {
    condition     = output.instance_family == { family = "c", generation = 6, size = "2xlarge", write_combining = true }
    error_message = "c6in is 6th generation: ENA needs write-combining"
  }
  assert {
    condition     = output.dpdk_driver == "igb_uio"
    error_message = "auto picks igb_uio (wc_activate=1) where write-combining is needed"
  }
}

run "fifth_generation_uses_vfio" {
  command = plan

  variables {
    instance_type = "c5n.large"
  }

  assert {
    condition     = output.instance_family.write_combining == false && output.dpdk_driver == "vfio-pci"
    error_message = "c5n: vfio-pci"
  }
}

run "burstable_and_graviton" {
  command = plan

  variables {
    instance_type = "t3.large"
  }

  assert {
    condition     = output.dpdk_driver == "vfio-pci"
    error_message = "t3: no write-combining needed"
  }
}

run "explicit_driver" {
  command = plan

  variables {
    instance_type = "m7g.xlarge"
    dpdk_driver   = "vfio-pci"
  }

  assert {
    condition     = output.instance_family.write_combining == true && output.dpdk_driver == "vfio-pci"
    error_message = "an explicit driver wins over auto"
  }
}

run "cidrs_split_by_family" {
  command = plan

  variables {
    wireguard_ingress_cidrs = ["0.0.0.0/0", "::/0"]
    admin_cidrs             = ["192.0.2.0/24", "2001:db8::/32"]
  }

  assert {
    condition     = output.ingress_cidrs == { ipv4 = ["0.0.0.0/0"], ipv6 = ["::/0"] } && output.admin_cidrs == { ipv4 = ["192.0.2.0/24"], ipv6 = ["2001:db8::/32"] }
    error_message = "IPv4 and IPv6 sources go to separate rule lists"
  }
}

run "name_bad" {
  command = plan

  variables {
    name = "exit gate"
  }

  expect_failures = [var.name]
}

run "slots_zero" {
  command = plan

  variables {
    slots = 0
  }

  expect_failures = [var.slots]
}

run "slots_too_many" {
  command = plan

  variables {
    slots = 65
  }

  expect_failures = [var.slots]
}

run "zone_count_zero" {
  command = plan

  variables {
    zone_count = 0
  }

  expect_failures = [var.zone_count]
}

run "instance_type_garbage" {
  command = plan

  variables {
    instance_type = "big-one"
  }

  expect_failures = [var.instance_type]
}

run "instance_type_two_interfaces" {
  command = plan

  variables {
    instance_type = "c6g.medium"
  }

  expect_failures = [var.instance_type]
}

run "instance_type_micro" {
  command = plan

  variables {
    instance_type = "t3.micro"
  }

  expect_failures = [var.instance_type]
}

run "instance_type_without_ena" {
  command = plan

  variables {
    instance_type = "c4.xlarge"
  }

  expect_failures = [var.instance_type]
}

run "instance_type_t2" {
  command = plan

  variables {
    instance_type = "t2.large"
  }

  expect_failures = [var.instance_type]
}

run "ami_id_bad" {
  command = plan

  variables {
    ami_id = "debian-12"
  }

  expect_failures = [var.ami_id]
}

run "dpdk_driver_bad" {
  command = plan

  variables {
    dpdk_driver = "uio_pci_generic"
  }

  expect_failures = [var.dpdk_driver]
}

run "ingress_empty" {
  command = plan

  variables {
    wireguard_ingress_cidrs = []
  }

  expect_failures = [var.wireguard_ingress_cidrs]
}

run "ingress_host_bits" {
  command = plan

  variables {
    wireguard_ingress_cidrs = ["198.51.100.7/24"]
  }

  expect_failures = [var.wireguard_ingress_cidrs]
}

run "ingress_garbage" {
  command = plan

  variables {
    wireguard_ingress_cidrs = ["anywhere"]
  }

  expect_failures = [var.wireguard_ingress_cidrs]
}

run "admin_host_bits" {
  command = plan

  variables {
    admin_cidrs = ["192.0.2.1/24"]
  }

  expect_failures = [var.admin_cidrs]
}

run "admin_whole_internet" {
  command = plan

  variables {
    admin_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.admin_cidrs]
}
