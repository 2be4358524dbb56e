# SPDX-License-Identifier: BSD-3-Clause

variables {
  name               = "exitgate"
  vpc_cidr           = "10.20.0.0/16"
  availability_zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
}

run "subnets_per_zone" {
  command = plan

  assert {
    condition = output.zones[0] == {
      name               = "eu-central-1a"
      index              = 0
      public_cidr        = "10.20.0.0/24"
      egress_cidr        = "10.20.1.0/24"
      management_cidr    = "10.20.2.0/24"
      public_gateway     = "10.20.0.1"
      egress_gateway     = "10.20.1.1"
      management_gateway = "10.20.2.1"
    }
    error_message = "first zone: block 10.20.0.0/22"
  }
  assert {
    condition     = [for z in output.zones : [z.public_cidr, z.egress_cidr, z.management_cidr]] == [["10.20.0.0/24", "10.20.1.0/24", "10.20.2.0/24"], ["10.20.4.0/24", "10.20.5.0/24", "10.20.6.0/24"], ["10.20.8.0/24", "10.20.9.0/24", "10.20.10.0/24"]]
    error_message = "each zone takes the next aligned block of four /24"
  }
  assert {
    condition     = length(distinct(flatten([for z in output.zones : [z.public_cidr, z.egress_cidr, z.management_cidr]]))) == 9
    error_message = "no subnet twice"
  }
}

run "appending_a_zone_keeps_the_others" {
  command = plan

  variables {
    availability_zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c", "eu-central-1d"]
  }

  assert {
    # the subnets run "subnets_per_zone" asserts (written out: OpenTofu's assertions cannot
    # refer to another run's outputs)
    condition     = [for z in slice(output.zones, 0, 3) : [z.public_cidr, z.egress_cidr, z.management_cidr]] == [["10.20.0.0/24", "10.20.1.0/24", "10.20.2.0/24"], ["10.20.4.0/24", "10.20.5.0/24", "10.20.6.0/24"], ["10.20.8.0/24", "10.20.9.0/24", "10.20.10.0/24"]]
    error_message = "existing zones keep their subnets"
  }
  assert {
    condition     = output.zones[3].public_cidr == "10.20.12.0/24"
    error_message = "the new zone takes the next block"
  }
}

run "small_vpc" {
  command = plan

  variables {
    vpc_cidr             = "192.168.10.0/24"
    availability_zones   = ["us-east-1a", "us-east-1b"]
    subnet_prefix_length = 27
  }

  assert {
    condition     = [for z in output.zones : z.egress_cidr] == ["192.168.10.32/27", "192.168.10.160/27"] && output.zones[1].egress_gateway == "192.168.10.161"
    error_message = "/27 subnets in a /24"
  }
}

run "name_bad" {
  command = plan
  variables {
    name = "Exit_Gate"
  }
  expect_failures = [var.name]
}

run "vpc_cidr_host_bits" {
  command = plan
  variables {
    vpc_cidr = "10.20.0.1/16"
  }
  expect_failures = [var.vpc_cidr]
}

run "vpc_cidr_too_big" {
  command = plan
  variables {
    vpc_cidr = "10.0.0.0/8"
  }
  expect_failures = [var.vpc_cidr]
}

run "vpc_cidr_garbage" {
  command = plan
  variables {
    vpc_cidr = "10.20.0.0"
  }
  expect_failures = [var.vpc_cidr]
}

run "no_zone" {
  command = plan
  variables {
    availability_zones = []
  }
  expect_failures = [var.availability_zones]
}

run "zone_twice" {
  command = plan
  variables {
    availability_zones = ["eu-central-1a", "eu-central-1a"]
  }
  expect_failures = [var.availability_zones]
}

run "zone_name_bad" {
  command = plan
  variables {
    availability_zones = ["eu-central-1"]
  }
  expect_failures = [var.availability_zones]
}

run "subnets_do_not_fit" {
  command = plan
  variables {
    vpc_cidr             = "10.20.0.0/22"
    subnet_prefix_length = 24
  }
  expect_failures = [var.subnet_prefix_length]
}

run "subnet_too_small" {
  command = plan
  variables {
    subnet_prefix_length = 29
  }
  expect_failures = [var.subnet_prefix_length]
}
