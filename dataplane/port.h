/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports by role: find the ethdev each configured device created, configure one RX and one TX
 * queue per worker (RSS where the device hashes; af_packet fans out per queue in the kernel),
 * offloads the device has, MTU, MAC, start, and check the link. The kernel TAP of a role gets
 * the same MAC and queue layout, so frames pass between the two unchanged.
 */
#ifndef EXITGATE_DATAPLANE_PORT_H
#define EXITGATE_DATAPLANE_PORT_H

#include "dp.h"

/* Set up every configured port; returns 0 or -1 after logging why. */
int ports_setup(struct dataplane *dp, const struct config *config);
/* Stop and close every port. */
void ports_close(struct dataplane *dp);

/* true when addr is one of the port's own addresses */
bool dp_port_owns(const struct dp_port *port, const struct netaddr *addr);
/* true when addr is on one of the port's subnets */
bool dp_port_on_link(const struct dp_port *port, const struct netaddr *addr);
/* The first own address of a family; NULL when the port has none. */
const struct netaddr *dp_port_address(const struct dp_port *port, int family);
/* Next hop for dst out of this port: dst itself when on-link, else the gateway of its family.
 * Returns -1 when there is none. */
int dp_port_next_hop(const struct dp_port *port, const struct netaddr *dst, struct netaddr *nh);

#endif
