/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel interfaces the data plane creates (a role's kernel TAP, the inner net_tun/net_tap that
 * gives the host the tunnel) get their addresses, MTU and link state from exitgated, through
 * rtnetlink (libnl-route-3, already a DPDK dependency on Debian). Setup time only.
 */
#ifndef EXITGATE_CONTROL_NETIF_H
#define EXITGATE_CONTROL_NETIF_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

/* Bring ifname up with this MTU (0 = leave) and add the addresses (existing ones are kept).
 * Returns 0 or -1 after logging why. */
int netif_setup(const char *ifname, const struct netprefix *addresses, size_t count, uint32_t mtu);

#endif
