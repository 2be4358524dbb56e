/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tailnet's packet filter on the workers: what a peer may send through this node (to
 * another peer, to the node's LAN, to the internet through the exit). Compiled by the control
 * plane from the netmap's PacketFilter (Tailscale's FilterRule after wgengine/filter's parsing:
 * source prefixes, IP protocols, destination prefixes with port ranges) into flat arrays, then
 * published whole; workers read the current table lock-free and the old one is freed after an
 * RCU grace period. No table (standalone mode, or before a tailnet's first filter) allows
 * everything; an empty table denies everything.
 *
 * A packet is allowed when some rule lists its protocol, some source prefix of the rule holds
 * its source address, and some destination of the rule holds its destination address and
 * port (TCP, UDP, SCTP; ICMP and other protocols match on the address alone, as Tailscale's
 * filter does). The scan is linear in the rules: a tailnet policy is tens of rules, and
 * headscale's allow-all policy is one rule whose first prefixes match.
 *
 * Concurrency: built and published by the control plane; read by every worker.
 */
#ifndef EXITGATE_DATAPLANE_ACL_H
#define EXITGATE_DATAPLANE_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

struct dp_acl_dst {
	struct netprefix net;
	uint16_t port_first, port_last;
};

struct dp_acl_rule {
	uint32_t src_first, src_count; /* into dp_acl.srcs */
	uint32_t dst_first, dst_count; /* into dp_acl.dsts */
	uint64_t protocols[4];         /* a bit per IP protocol number */
};

struct dp_acl {
	uint32_t rule_count, src_count, dst_count;
	uint32_t rule_cap, src_cap, dst_cap; /* what dp_acl_new reserved */
	struct dp_acl_rule *rules;
	struct netprefix *srcs;
	struct dp_acl_dst *dsts;
	/* the three arrays follow, in one allocation */
};

/* Building (control plane): rules in order; each then gets its sources, destinations and
 * protocols. dp_acl_new reserves room for the totals given. */
struct dp_acl *dp_acl_new(uint32_t rules, uint32_t srcs, uint32_t dsts);
void dp_acl_free(struct dp_acl *acl);
/* Start the next rule; returns it (NULL past the reserved count). */
struct dp_acl_rule *dp_acl_rule_add(struct dp_acl *acl);
int dp_acl_rule_src(struct dp_acl *acl, struct dp_acl_rule *r, const struct netprefix *p);
int dp_acl_rule_dst(struct dp_acl *acl, struct dp_acl_rule *r, const struct netprefix *p,
		    uint16_t port_first, uint16_t port_last);
void dp_acl_rule_protocol(struct dp_acl_rule *r, uint8_t protocol);

/* The check, on an IP packet (data at its IP header, len bytes, already validated). */
bool dp_acl_allows(const struct dp_acl *acl, const uint8_t *packet, uint32_t len);

#endif
