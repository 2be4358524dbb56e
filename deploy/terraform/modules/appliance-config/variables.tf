# SPDX-License-Identifier: BSD-3-Clause
# Inputs of one exit node. Names follow config/schema.md where a variable maps to one key; the
# validations mirror the schema's so that a bad value fails at `terraform plan`, not at boot.

variable "node_name" {
  description = "Name of the node, written in the headers of the rendered files."
  type        = string
  default     = "exitgate"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", var.node_name))
    error_message = "node_name: 1..63 characters [A-Za-z0-9_.-], starting with a letter or digit."
  }
}

variable "listen_port" {
  description = "node.listen_port: UDP port shared by WireGuard, STUN and disco on the public port."
  type        = number
  default     = 41641

  validation {
    condition     = var.listen_port == floor(var.listen_port) && var.listen_port >= 1 && var.listen_port <= 65535
    error_message = "listen_port: an integer port, 1..65535."
  }
}

variable "interface_name" {
  description = "node.interface: name of the WireGuard UAPI socket (`wg show <name>`)."
  type        = string
  default     = "eg0"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,15}$", var.interface_name))
    error_message = "interface_name: 1..15 characters [A-Za-z0-9_.-]."
  }
}

variable "tunnel_mtu" {
  description = "node.mtu: tunnel MTU; null keeps exitgate's default (1420)."
  type        = number
  default     = null

  validation {
    condition     = var.tunnel_mtu == null || try(var.tunnel_mtu == floor(var.tunnel_mtu) && var.tunnel_mtu >= 576 && var.tunnel_mtu <= 9000, false)
    error_message = "tunnel_mtu: an integer, 576..9000."
  }
}

variable "private_key" {
  description = "The node's WireGuard private key (base64). Null: the node makes its own at first boot and writes the public half to /etc/exitgate/public.key. When given it travels in the instance's user data."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.private_key == null || can(regex("^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$", var.private_key))
    error_message = "private_key: a WireGuard key, 44 characters of base64 decoding to 32 bytes."
  }
}

variable "private_key_file" {
  description = "node.private_key_file: where the node keeps its private key."
  type        = string
  default     = "/etc/exitgate/private.key"

  validation {
    condition     = can(regex("^/[^\\s]*[^/\\s]$", var.private_key_file))
    error_message = "private_key_file: an absolute path of a file, without spaces."
  }
}

variable "prefix" {
  description = "Installation prefix of exitgate on the image (`meson setup --prefix`): the units run <prefix>/bin/exitgated and <prefix>/libexec/exitgate/exitgate-dpdk-setup."
  type        = string
  default     = "/usr"

  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.+-]+)+$", var.prefix))
    error_message = "prefix: an absolute directory path such as /usr or /usr/local."
  }
}

# Ports. Each role's NIC is given either by MAC (found and bound at boot; the config template then
# names its device @EXITGATE_<ROLE>_DEVICE@) or by a fixed device string.

variable "public_subnet_cidr" {
  description = "IPv4 CIDR of the subnet the public NIC is in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", var.public_subnet_cidr)) && try(cidrhost(var.public_subnet_cidr, 0) == split("/", var.public_subnet_cidr)[0], false)
    error_message = "public_subnet_cidr: an IPv4 network in CIDR notation with the host bits zero, e.g. 10.0.1.0/24."
  }
}

variable "public_address" {
  description = "Private IPv4 address of the public NIC (its Elastic IP maps to it)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.public_address)) && try(cidrhost("${var.public_address}/${split("/", var.public_subnet_cidr)[1]}", 0) == cidrhost(var.public_subnet_cidr, 0), false)
    error_message = "public_address: an IPv4 address inside public_subnet_cidr."
  }
}

variable "public_gateway" {
  description = "ports.public.gateway; null: the subnet's first host (the VPC router on AWS)."
  type        = string
  default     = null

  validation {
    condition     = var.public_gateway == null || can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.public_gateway)) && can(cidrhost("${var.public_gateway}/32", 0))
    error_message = "public_gateway: an IPv4 address."
  }
}

variable "public_mac" {
  description = "MAC of the public NIC, found and bound to DPDK at boot."
  type        = string
  default     = null

  validation {
    condition     = var.public_mac == null || can(regex("^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$", var.public_mac))
    error_message = "public_mac: a MAC address such as 0a:1b:2c:3d:4e:5f."
  }
  validation {
    condition     = (var.public_mac == null) != (var.public_device == null)
    error_message = "public_mac, public_device: give exactly one (MAC: bound at boot; device: a fixed PCI address or vdev)."
  }
}

variable "public_device" {
  description = "ports.public.device when it is known in advance (PCI address or DPDK vdev); null when public_mac is given."
  type        = string
  default     = null

  validation {
    condition     = var.public_device == null || can(regex("^([0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-7]|net_[a-z_]+[0-9]*(,[^\\s]*)?)$", var.public_device))
    error_message = "public_device: a PCI address (0000:00:06.0) or a DPDK vdev string (net_af_packet0,iface=veth1)."
  }
}

variable "public_ip" {
  description = "The public NIC's Elastic IP, advertised to peers as a static endpoint (nat_traversal.static_endpoints). Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.public_ip == null || can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.public_ip)) && can(cidrhost("${var.public_ip}/32", 0))
    error_message = "public_ip: an IPv4 address."
  }
}

variable "egress_subnet_cidr" {
  description = "IPv4 CIDR of the subnet the egress NIC is in (its default route leads to the NAT gateway)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", var.egress_subnet_cidr)) && try(cidrhost(var.egress_subnet_cidr, 0) == split("/", var.egress_subnet_cidr)[0], false)
    error_message = "egress_subnet_cidr: an IPv4 network in CIDR notation with the host bits zero, e.g. 10.0.2.0/24."
  }
}

variable "egress_address" {
  description = "Private IPv4 address of the egress NIC; exit traffic is masqueraded to it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.egress_address)) && try(cidrhost("${var.egress_address}/${split("/", var.egress_subnet_cidr)[1]}", 0) == cidrhost(var.egress_subnet_cidr, 0), false)
    error_message = "egress_address: an IPv4 address inside egress_subnet_cidr."
  }
}

variable "egress_gateway" {
  description = "ports.egress.gateway; null: the subnet's first host (the VPC router, which forwards to the NAT gateway)."
  type        = string
  default     = null

  validation {
    condition     = var.egress_gateway == null || can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.egress_gateway)) && can(cidrhost("${var.egress_gateway}/32", 0))
    error_message = "egress_gateway: an IPv4 address."
  }
}

variable "egress_mac" {
  description = "MAC of the egress NIC, found and bound to DPDK at boot."
  type        = string
  default     = null

  validation {
    condition     = var.egress_mac == null || can(regex("^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$", var.egress_mac))
    error_message = "egress_mac: a MAC address such as 0a:1b:2c:3d:4e:5f."
  }
  validation {
    condition     = (var.egress_mac == null) != (var.egress_device == null)
    error_message = "egress_mac, egress_device: give exactly one (MAC: bound at boot; device: a fixed PCI address or vdev)."
  }
}

variable "egress_device" {
  description = "ports.egress.device when it is known in advance; null when egress_mac is given."
  type        = string
  default     = null

  validation {
    condition     = var.egress_device == null || can(regex("^([0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-7]|net_[a-z_]+[0-9]*(,[^\\s]*)?)$", var.egress_device))
    error_message = "egress_device: a PCI address (0000:00:07.0) or a DPDK vdev string."
  }
}

# Data plane and host.

variable "workers" {
  description = "dataplane.workers: worker lcores; keep at least one vCPU for the main lcore."
  type        = number
  default     = 1

  validation {
    condition     = var.workers == floor(var.workers) && var.workers >= 1 && var.workers <= 64
    error_message = "workers: an integer, 1..64."
  }
}

variable "idle" {
  description = "dataplane.idle: poll (dedicated cores) or adaptive (shared, small instances)."
  type        = string
  default     = "poll"

  validation {
    condition     = contains(["poll", "adaptive"], var.idle)
    error_message = "idle: poll or adaptive."
  }
}

variable "eal_args" {
  description = "dataplane.eal: extra EAL arguments."
  type        = list(string)
  default     = []
}

variable "hugepages" {
  description = "2 MiB hugepages reserved at boot for DPDK."
  type        = number
  default     = 1024

  validation {
    condition     = var.hugepages == floor(var.hugepages) && var.hugepages >= 64 && var.hugepages <= 262144
    error_message = "hugepages: an integer count of 2 MiB pages, 64..262144 (128 MiB..512 GiB)."
  }
}

variable "dpdk_driver" {
  description = "Kernel driver the NICs are bound to: vfio-pci (no-IOMMU mode on virtualised instances) or igb_uio (dpdk-kmods, loaded with wc_activate=1 for ENA write-combining)."
  type        = string
  default     = "vfio-pci"

  validation {
    condition     = contains(["vfio-pci", "igb_uio"], var.dpdk_driver)
    error_message = "dpdk_driver: vfio-pci or igb_uio."
  }
}

variable "packages" {
  description = "Debian packages cloud-init installs at first boot, for images that lack them (e.g. dpdk, dpdk-kmods-dkms, openssl)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.packages : can(regex("^[a-z0-9][a-z0-9+.-]+$", p))])
    error_message = "packages: Debian package names."
  }
}

# Exit and NAT traversal.

variable "exit_enabled" {
  description = "exit.enabled: forward peers' traffic to the internet through the egress port."
  type        = bool
  default     = true
}

variable "masquerade" {
  description = "exit.masquerade: rewrite peers' IPv4 sources to the egress address."
  type        = bool
  default     = true
}

variable "stun_servers" {
  description = "nat_traversal.stun: STUN servers, host:port."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.stun_servers : can(regex("^([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$", s))])
    error_message = "stun_servers: host:port, address:port or [v6-address]:port."
  }
}

variable "port_mapping" {
  description = "nat_traversal.port_mapping: protocols to try, in order (none are needed behind an Elastic IP)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.port_mapping : contains(["natpmp", "pcp", "upnp"], p)])
    error_message = "port_mapping: each of natpmp, pcp, upnp."
  }
}

variable "derp_home_region" {
  description = "derp.home_region: 0 chooses by latency."
  type        = number
  default     = 0

  validation {
    condition     = var.derp_home_region == floor(var.derp_home_region) && var.derp_home_region >= 0 && var.derp_home_region <= 65535
    error_message = "derp_home_region: an integer region ID, 0..65535."
  }
}

variable "derp_regions" {
  description = "derp.regions: the DERP map (fields as in config/schema.md)."
  type = list(object({
    region_id   = number
    region_code = string
    region_name = optional(string)
    nodes = list(object({
      name       = string
      host_name  = string
      cert_name  = optional(string)
      ipv4       = optional(string)
      ipv6       = optional(string)
      stun_port  = optional(number)
      stun_only  = optional(bool)
      derp_port  = optional(number)
      can_port80 = optional(bool)
    }))
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.derp_regions : r.region_id == floor(r.region_id) && r.region_id >= 1 && r.region_id <= 65535])
    error_message = "derp_regions[].region_id: an integer, 1..65535 (900-999 for self-hosted)."
  }
  validation {
    condition     = length(distinct([for r in var.derp_regions : r.region_id])) == length(var.derp_regions)
    error_message = "derp_regions[].region_id: each region ID once."
  }
  validation {
    condition     = alltrue([for r in var.derp_regions : can(regex("^[A-Za-z0-9_-]+$", r.region_code)) && length(r.nodes) > 0])
    error_message = "derp_regions[]: region_code is a short name [A-Za-z0-9_-] and every region has at least one node."
  }
  validation {
    condition     = length(distinct(flatten([for r in var.derp_regions : [for n in r.nodes : n.name]]))) == length(flatten([for r in var.derp_regions : r.nodes]))
    error_message = "derp_regions[].nodes[].name: node names are unique across the map."
  }
  validation {
    condition = alltrue(flatten([for r in var.derp_regions : [for n in r.nodes : (
      can(regex("^[A-Za-z0-9.-]+$", n.host_name)) &&
      (n.cert_name == null || can(regex("^(|sha256-raw:[0-9a-f]{64})$", n.cert_name))) &&
      (n.stun_port == null || try(n.stun_port == floor(n.stun_port) && n.stun_port >= -1 && n.stun_port <= 65535, false)) &&
      (n.derp_port == null || try(n.derp_port == floor(n.derp_port) && n.derp_port >= 0 && n.derp_port <= 65535, false))
    )]]))
    error_message = "derp_regions[].nodes[]: host_name is a DNS name, cert_name empty or sha256-raw:<64 lower-case hex>, stun_port -1..65535, derp_port 0..65535."
  }
  validation {
    condition = alltrue(flatten([for r in var.derp_regions : [for n in r.nodes : [for a in [n.ipv4, n.ipv6] :
      a == null || can(regex("^(|none)$", a)) || can(cidrhost("${a}/32", 0)) || can(cidrhost("${a}/128", 0))
    ]]]))
    error_message = "derp_regions[].nodes[].ipv4/ipv6: an address literal, \"\" (resolve host_name) or \"none\"."
  }
}

variable "peers" {
  description = "peers: WireGuard peers of the node (fields as in config/schema.md)."
  type = list(object({
    name                 = optional(string)
    public_key           = string
    preshared_key        = optional(string)
    allowed_ips          = optional(list(string), [])
    endpoint             = optional(string)
    persistent_keepalive = optional(number)
    path                 = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for p in var.peers : can(regex("^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$", p.public_key)) && (p.preshared_key == null || can(regex("^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$", p.preshared_key)))])
    error_message = "peers[].public_key, preshared_key: WireGuard keys, 44 characters of base64 decoding to 32 bytes."
  }
  validation {
    condition     = length(distinct([for p in var.peers : p.public_key])) == length(var.peers)
    error_message = "peers[].public_key: each peer once."
  }
  validation {
    condition = alltrue(flatten([for p in var.peers : [for c in p.allowed_ips :
      can(regex("^[0-9A-Fa-f.:]+/[0-9]{1,3}$", c)) && try(cidrhost(c, 0) == split("/", c)[0], false)
    ]]))
    error_message = "peers[].allowed_ips: CIDRs (IPv4 or IPv6) with the host bits zero, e.g. 100.64.0.2/32."
  }
  validation {
    condition = alltrue([for p in var.peers :
      p.endpoint == null || can(regex("^([0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$", p.endpoint))
    ])
    error_message = "peers[].endpoint: a.b.c.d:port or [x:x::x]:port."
  }
  validation {
    condition = alltrue([for p in var.peers : (
      (p.persistent_keepalive == null || try(p.persistent_keepalive == floor(p.persistent_keepalive) && p.persistent_keepalive >= 0 && p.persistent_keepalive <= 65535, false)) &&
      (p.path == null || can(regex("^(auto|direct|relay)$", p.path))) &&
      (p.name == null || can(regex("^[^\\s]{1,64}$", p.name)))
    )])
    error_message = "peers[]: persistent_keepalive 0..65535 seconds, path auto, direct or relay, name 1..64 characters without spaces."
  }
}

variable "log_level" {
  description = "log.level."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["error", "warn", "info", "debug"], var.log_level)
    error_message = "log_level: error, warn, info or debug."
  }
}
