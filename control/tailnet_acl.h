/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tailnet's packet filter (the netmap's rules, control/tailnet) compiled into the table the
 * workers check (dataplane/acl.h). Pure: no loop, no data plane state, so unit tests run it on
 * the rules headscale really sends.
 *
 * What the workers enforce is the traffic a peer may send through this node: to another peer,
 * to the node's inner side, or to the internet through the exit. Capability grants (CapGrant,
 * "cap:" sources) grant no packets and are left out; a rule without protocols stands for TCP,
 * UDP, ICMP and ICMPv6 (Tailscale's default).
 */
#ifndef EXITGATE_CONTROL_TAILNET_ACL_H
#define EXITGATE_CONTROL_TAILNET_ACL_H

#include "acl.h"
#include "tailnet_netmap.h"

/* A new table (the caller publishes or frees it), or NULL when out of memory. */
struct dp_acl *tailnet_acl_compile(const struct tailnet_filter *filter);

#endif
