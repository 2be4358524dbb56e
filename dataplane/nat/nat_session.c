/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sessions of one instance: creation (limits, then an external port from this worker's slice
 * that no live session uses for the same remote endpoint), TCP tracking, timeouts and the
 * bounded expiry sweep. nat.h says why; only the owning worker calls any of this.
 */
#include <string.h>

#include <sodium.h>

#include "nat_internal.h"

/* What a TCP session has seen since its last SYN (nat_session.tcp_seen). */
enum nat_tcp_seen {
	TCP_SEEN_OUT = 1 << 0,
	TCP_SEEN_IN = 1 << 1,
	TCP_FIN_OUT = 1 << 2,
	TCP_FIN_IN = 1 << 3,
};

static uint64_t
session_timeout(const struct nat *n, const struct nat_session *s)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		return s->tcp_state == NAT_TCP_ESTABLISHED ? n->tcp_established_ns
							   : n->tcp_transitory_ns;
	case IPPROTO_UDP:
		return n->udp_ns;
	default:
		return n->icmp_ns;
	}
}

void
nat_session_remove(struct nat *n, struct nat_session *s, uint64_t *why)
{
	stat_sub(&n->stats.sessions[nat_protocol_of(s->proto)], 1);
	stat_add(why, 1);
	nat_table_remove(&n->table, s);
}

static void
tcp_track(struct nat_session *s, uint8_t flags, bool outbound)
{
	if (flags & TCP_RST) {
		s->tcp_state = NAT_TCP_CLOSING;
		return;
	}
	if (outbound && (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* a connection opens (or a closed tuple is reused): count directions anew */
		s->tcp_state = NAT_TCP_OPENING;
		s->tcp_seen = 0;
		return;
	}
	s->tcp_seen |= outbound ? TCP_SEEN_OUT : TCP_SEEN_IN;
	if (flags & TCP_FIN)
		s->tcp_seen |= outbound ? TCP_FIN_OUT : TCP_FIN_IN;
	if ((s->tcp_seen & (TCP_FIN_OUT | TCP_FIN_IN)) == (TCP_FIN_OUT | TCP_FIN_IN))
		s->tcp_state = NAT_TCP_CLOSING;
	else if (s->tcp_state == NAT_TCP_OPENING &&
		 (s->tcp_seen & (TCP_SEEN_OUT | TCP_SEEN_IN)) == (TCP_SEEN_OUT | TCP_SEEN_IN))
		s->tcp_state = NAT_TCP_ESTABLISHED;
}

void
nat_session_refresh(struct nat *n, struct nat_session *s, uint8_t tcp_flags, bool outbound,
		    uint64_t now_ns)
{
	if (s->proto == IPPROTO_TCP)
		tcp_track(s, tcp_flags, outbound);
	s->expires_ns = now_ns + session_timeout(n, s);
}

/* ---- port allocation ---- */

static bool
port_reserved(const struct nat *n, uint16_t port)
{
	return (n->reserved[port / 64] >> (port % 64)) & 1;
}

static bool
port_in_slice(const struct nat *n, uint16_t port)
{
	return nat_port_owner(n->port_min, n->port_max, n->workers, port) == n->worker;
}

/* true when no live session holds port for in_key's remote endpoint (an expired one that does
 * is removed on the spot); *in_hash is the inbound hash of the key with that port. */
static bool
port_free(struct nat *n, struct nat_key *in_key, uint16_t port, uint64_t now_ns,
	  uint32_t *in_hash)
{
	struct nat_session *s;

	if (port_reserved(n, port))
		return false;
	in_key->local_port = port;
	*in_hash = nat_table_hash_in(&n->table, in_key);
	s = nat_table_find_in(&n->table, *in_hash, in_key);
	if (s == NULL)
		return true;
	if (!nat_session_expired(s, now_ns))
		return false;
	nat_session_remove(n, s, &n->stats.sessions_expired);
	return true;
}

/* Where the search of the slice starts: a keyed function of the flow and a counter, so that
 * nobody outside can predict it and a flow that comes back does not retrace its old steps. */
static uint32_t
port_search_start(struct nat *n, uint32_t out_hash)
{
	uint8_t in[12], out[crypto_shorthash_BYTES];
	uint64_t draw;

	memcpy(in, &out_hash, 4);
	memcpy(in + 4, &n->port_draws, 8);
	n->port_draws++;
	crypto_shorthash(out, in, sizeof(in), n->port_key);
	memcpy(&draw, out, sizeof(draw));
	return (uint32_t)(draw % n->slice_ports);
}

static bool
port_allocate(struct nat *n, const struct nat_key *k, uint32_t out_hash, uint64_t now_ns,
	      uint16_t *port, uint32_t *in_hash)
{
	struct nat_key in_key;
	uint32_t slot, tries, i;

	memset(&in_key, 0, sizeof(in_key));
	in_key.version = k->version;
	in_key.proto = k->proto;
	in_key.remote_port = k->remote_port;
	memcpy(in_key.remote_addr, k->remote_addr, sizeof(in_key.remote_addr));

	if (port_in_slice(n, k->local_port) &&
	    port_free(n, &in_key, k->local_port, now_ns, in_hash)) {
		*port = k->local_port;
		return true;
	}
	slot = port_search_start(n, out_hash);
	tries = n->slice_ports < NAT_PORT_TRIES ? n->slice_ports : NAT_PORT_TRIES;
	for (i = 0; i < tries; i++) {
		uint16_t candidate = (uint16_t)(n->port_min + n->worker + slot * n->workers);

		if (port_free(n, &in_key, candidate, now_ns, in_hash)) {
			*port = candidate;
			return true;
		}
		if (++slot == n->slice_ports)
			slot = 0;
	}
	return false;
}

enum nat_result
nat_session_create(struct nat *n, const struct nat_key *k, uint32_t out_hash, uint32_t peer_id,
		   uint8_t tcp_flags, uint64_t now_ns, struct nat_session **out)
{
	struct nat_session init;
	struct nat_session *s;
	uint32_t in_hash;
	uint16_t port;

	/* a RST answers something this NAT no longer knows; a new port would mean nothing */
	if (k->proto == IPPROTO_TCP && (tcp_flags & TCP_RST))
		return NAT_DROP_NO_SESSION;
	if (nat_table_peer_count(&n->table, peer_id) >= n->peer_limit)
		return NAT_DROP_PEER_LIMIT;
	if (n->table.free_count == 0) {
		nat_expire(n, now_ns, NAT_EXPIRE_ON_FULL);
		if (n->table.free_count == 0)
			return NAT_DROP_TABLE_FULL;
	}
	if (!port_allocate(n, k, out_hash, now_ns, &port, &in_hash))
		return NAT_DROP_PORTS_EXHAUSTED;

	memset(&init, 0, sizeof(init));
	memcpy(init.inner_addr, k->local_addr, sizeof(init.inner_addr));
	memcpy(init.remote_addr, k->remote_addr, sizeof(init.remote_addr));
	init.peer_id = peer_id;
	init.out_hash = out_hash;
	init.in_hash = in_hash;
	init.inner_port = k->local_port;
	init.remote_port = k->remote_port;
	init.ext_port = port;
	init.version = k->version;
	init.proto = k->proto;
	init.tcp_state = k->proto == IPPROTO_TCP ? NAT_TCP_OPENING : NAT_TCP_NONE;
	s = nat_table_add(&n->table, &init);
	nat_session_refresh(n, s, tcp_flags, true, now_ns);
	stat_add(&n->stats.sessions[nat_protocol_of(k->proto)], 1);
	stat_add(&n->stats.sessions_created, 1);
	*out = s;
	return NAT_OK;
}

/* ---- expiry ---- */

unsigned int
nat_expire(struct nat *n, uint64_t now_ns, unsigned int budget)
{
	struct nat_table *t = &n->table;
	unsigned int removed = 0, i;

	if (budget > t->capacity)
		budget = t->capacity;
	for (i = 0; i < budget; i++) {
		struct nat_session *s = &t->sessions[t->sweep_next];

		if (++t->sweep_next == t->capacity)
			t->sweep_next = 0;
		if (s->version != 0 && nat_session_expired(s, now_ns)) {
			nat_session_remove(n, s, &n->stats.sessions_expired);
			removed++;
		}
	}
	return removed;
}

