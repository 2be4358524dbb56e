/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"

enum {
	PROTO_ICMP = 1,
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	PROTO_SCTP = 132,
	IPV6_HEADER_LEN = 40,
};

struct dp_acl *
dp_acl_new(uint32_t rules, uint32_t srcs, uint32_t dsts)
{
	size_t size = sizeof(struct dp_acl) + (size_t)rules * sizeof(struct dp_acl_rule) +
		      (size_t)dsts * sizeof(struct dp_acl_dst) +
		      (size_t)srcs * sizeof(struct netprefix);
	struct dp_acl *acl = calloc(1, size);
	uint8_t *p;

	if (acl == NULL)
		return NULL;
	p = (uint8_t *)(acl + 1);
	acl->rules = (struct dp_acl_rule *)p;
	p += (size_t)rules * sizeof(struct dp_acl_rule);
	acl->dsts = (struct dp_acl_dst *)p;
	p += (size_t)dsts * sizeof(struct dp_acl_dst);
	acl->srcs = (struct netprefix *)p;
	acl->rule_cap = rules;
	acl->src_cap = srcs;
	acl->dst_cap = dsts;
	return acl;
}

void
dp_acl_free(struct dp_acl *acl)
{
	free(acl);
}

struct dp_acl_rule *
dp_acl_rule_add(struct dp_acl *acl)
{
	struct dp_acl_rule *r;

	if (acl->rule_count == acl->rule_cap)
		return NULL;
	r = &acl->rules[acl->rule_count++];
	memset(r, 0, sizeof(*r));
	r->src_first = acl->src_count;
	r->dst_first = acl->dst_count;
	return r;
}

/* A rule's entries are contiguous: only the last rule added may grow. */
int
dp_acl_rule_src(struct dp_acl *acl, struct dp_acl_rule *r, const struct netprefix *p)
{
	if (acl->src_count == acl->src_cap || r->src_first + r->src_count != acl->src_count)
		return -1;
	acl->srcs[acl->src_count++] = *p;
	r->src_count++;
	return 0;
}

int
dp_acl_rule_dst(struct dp_acl *acl, struct dp_acl_rule *r, const struct netprefix *p,
		uint16_t port_first, uint16_t port_last)
{
	struct dp_acl_dst *d;

	if (acl->dst_count == acl->dst_cap || r->dst_first + r->dst_count != acl->dst_count)
		return -1;
	d = &acl->dsts[acl->dst_count++];
	d->net = *p;
	d->port_first = port_first;
	d->port_last = port_last;
	r->dst_count++;
	return 0;
}

void
dp_acl_rule_protocol(struct dp_acl_rule *r, uint8_t protocol)
{
	r->protocols[protocol >> 6] |= 1ull << (protocol & 63);
}

/* ---- the check ---- */

static bool
prefix_holds(const struct netprefix *p, int family, const uint8_t *addr)
{
	unsigned int bits = p->len, bytes = bits / 8, rest = bits % 8;

	if (p->addr.family != family)
		return false;
	if (memcmp(p->addr.bytes, addr, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((p->addr.bytes[bytes] ^ addr[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
dp_acl_allows(const struct dp_acl *acl, const uint8_t *pkt, uint32_t len)
{
	const uint8_t *src, *dst, *l4;
	int family;
	uint8_t proto;
	uint32_t l4_len;
	bool has_port = false;
	uint16_t port = 0;

	if (acl == NULL)
		return true;
	if ((pkt[0] >> 4) == 4) {
		uint32_t ihl = (uint32_t)(pkt[0] & 0x0f) * 4;
		bool later_fragment = ((pkt[6] & 0x1f) | pkt[7]) != 0;

		family = AF_INET;
		proto = pkt[9];
		src = pkt + 12;
		dst = pkt + 16;
		l4 = pkt + ihl;
		l4_len = len > ihl ? len - ihl : 0;
		/* a later fragment has no ports: it follows its first, which was checked */
		if (later_fragment)
			l4_len = 0;
	} else {
		family = AF_INET6;
		proto = pkt[6];
		src = pkt + 8;
		dst = pkt + 24;
		l4 = pkt + IPV6_HEADER_LEN;
		l4_len = len > IPV6_HEADER_LEN ? len - IPV6_HEADER_LEN : 0;
	}
	if ((proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP) && l4_len >= 4) {
		has_port = true;
		port = (uint16_t)(l4[2] << 8 | l4[3]);
	}
	for (uint32_t i = 0; i < acl->rule_count; i++) {
		const struct dp_acl_rule *r = &acl->rules[i];
		bool src_ok = false;

		if (!(r->protocols[proto >> 6] & (1ull << (proto & 63))))
			continue;
		for (uint32_t s = 0; s < r->src_count && !src_ok; s++)
			src_ok = prefix_holds(&acl->srcs[r->src_first + s], family, src);
		if (!src_ok)
			continue;
		for (uint32_t d = 0; d < r->dst_count; d++) {
			const struct dp_acl_dst *x = &acl->dsts[r->dst_first + d];

			if (!prefix_holds(&x->net, family, dst))
				continue;
			/* ports bind TCP/UDP/SCTP only; a first fragment too short for them or a
			 * protocol without ports matches on the address */
			if (!has_port || (port >= x->port_first && port <= x->port_last))
				return true;
		}
	}
	return false;
}
