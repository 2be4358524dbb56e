/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT instances: configuration, the two translation paths, port allocation, TCP tracking,
 * expiry and statistics. nat.h says why it is built this way; nat_table.c holds the sessions
 * and nat_packet.c knows the headers.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "nat.h"
#include "nat_checksum.h"
#include "nat_packet.h"
#include "nat_table.h"

enum {
	NAT_ALIGN = 64,
	PORT_COUNT = 65536,
};

enum tcp_flag {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_ACK = 0x10,
};

/* What a TCP session has seen since its last SYN (nat_session.tcp_seen). */
enum nat_tcp_seen {
	TCP_SEEN_OUT = 1 << 0,
	TCP_SEEN_IN = 1 << 1,
	TCP_FIN_OUT = 1 << 2,
	TCP_FIN_IN = 1 << 3,
};

struct nat {
	struct nat_table table;
	uint8_t egress[2][16];  /* [0] IPv4 (first 4 bytes), [1] IPv6 */
	bool has_egress[2];
	uint16_t port_min;
	uint16_t port_max;
	unsigned int worker;
	unsigned int workers;
	uint32_t slice_ports;   /* ports of this worker's slice */
	uint32_t peer_limit;
	uint64_t tcp_established_ns;
	uint64_t tcp_transitory_ns;
	uint64_t udp_ns;
	uint64_t icmp_ns;
	uint64_t port_draws;    /* input to the keyed draw of a search start */
	uint8_t port_key[crypto_shorthash_KEYBYTES];
	struct nat_allocator allocator;
	struct nat_stats stats; /* written by the owner only (stat_add) */
	uint64_t reserved[PORT_COUNT / 64]; /* bit per port never to hand out */
};

/* ---- statistics: single writer, relaxed stores, so readers never see a torn value ---- */

static inline void
stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

static inline void
stat_sub(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter - n, __ATOMIC_RELAXED);
}

static enum nat_protocol
protocol_of(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return NAT_PROTO_TCP;
	case IPPROTO_UDP:
		return NAT_PROTO_UDP;
	default:
		return NAT_PROTO_ICMP;
	}
}

/* ---- sessions ---- */

static const uint8_t *
egress_of(const struct nat *n, uint8_t version)
{
	return n->egress[version == 6];
}

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

static bool
session_expired(const struct nat_session *s, uint64_t now_ns)
{
	return now_ns >= s->expires_ns;
}

static void
session_remove(struct nat *n, struct nat_session *s, uint64_t *why)
{
	stat_sub(&n->stats.sessions[protocol_of(s->proto)], 1);
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
	if (!session_expired(s, now_ns))
		return false;
	session_remove(n, s, &n->stats.sessions_expired);
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

static enum nat_result
session_create(struct nat *n, const struct nat_key *k, uint32_t out_hash, uint32_t peer_id,
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
	if (k->proto == IPPROTO_TCP)
		tcp_track(s, tcp_flags, true);
	stat_add(&n->stats.sessions[protocol_of(k->proto)], 1);
	stat_add(&n->stats.sessions_created, 1);
	*out = s;
	return NAT_OK;
}

/* ---- translation ---- */

static void
key_addresses(struct nat_key *k, const uint8_t *ip, const struct nat_ip *p, enum nat_side local)
{
	unsigned int addr_len = nat_addr_len(p->version);
	enum nat_side remote = local == NAT_SOURCE ? NAT_DESTINATION : NAT_SOURCE;

	memcpy(k->local_addr, ip + nat_addr_off(p, local), addr_len);
	memcpy(k->remote_addr, ip + nat_addr_off(p, remote), addr_len);
}

/*
 * The ports of a TCP/UDP header or the identifier of an ICMP echo as a key (local is the side
 * whose port the NAT owns: the source of an outbound packet, the destination of an inbound
 * one). want is the echo kind that may carry an identifier in this position.
 */
static enum nat_result
key_ports(struct nat_key *k, const uint8_t *l4, const struct nat_ip *p, enum nat_side local,
	  enum nat_icmp_kind want, uint8_t *tcp_flags)
{
	enum nat_side remote = local == NAT_SOURCE ? NAT_DESTINATION : NAT_SOURCE;

	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		k->local_port = ntohs(nat_load16(l4 + nat_port_off(p->proto, local)));
		k->remote_port = ntohs(nat_load16(l4 + nat_port_off(p->proto, remote)));
		if (p->proto == IPPROTO_TCP)
			*tcp_flags = p->l4_len > 13 ? l4[13] : 0;
		return NAT_OK;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!nat_is_icmp(p->version, p->proto) || nat_icmp_kind(p->version, l4[0]) != want)
			return NAT_DROP_NOT_NATTABLE;
		k->local_port = ntohs(nat_load16(l4 + 4));
		k->remote_port = 0;
		return NAT_OK;
	default:
		return NAT_DROP_NOT_NATTABLE;
	}
}

/* Check a packet's transport header length for the protocols NAT translates. */
static enum nat_result
check_l4(const uint8_t *l4, const struct nat_ip *p)
{
	switch (p->proto) {
	case IPPROTO_TCP:
		if (p->l4_len < NAT_TCP_HLEN || (l4[12] >> 4) * 4 < NAT_TCP_HLEN)
			return NAT_DROP_MALFORMED;
		return NAT_OK;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return p->l4_len < NAT_L4_PORTS_LEN ? NAT_DROP_MALFORMED : NAT_OK;
	default:
		return NAT_DROP_NOT_NATTABLE;
	}
}

/* The packet an ICMP error quotes; it must show ports or an echo identifier. */
static enum nat_result
parse_quote(const uint8_t *ip, const struct nat_ip *outer, struct nat_ip *quote,
	    uint32_t *quote_off)
{
	enum nat_result r;

	*quote_off = outer->l4_off + NAT_ICMP_HLEN;
	r = nat_ip_parse(ip + *quote_off, outer->l4_len - NAT_ICMP_HLEN, outer->version, true,
			 quote);
	if (r != NAT_OK)
		return r;
	return quote->l4_len < NAT_L4_PORTS_LEN ? NAT_DROP_MALFORMED : NAT_OK;
}

/*
 * A translation in two halves, so that a burst can compute every key and start fetching its
 * table slots and sessions before it uses any of them: prepare parses the packet and hashes its
 * key (no table access), finish looks the session up and rewrites. Between the two nothing of
 * the packet or the table may change except through other packets' finish.
 */
struct nat_lookup {
	struct nat_ip p;
	struct nat_ip quote; /* of an ICMP error */
	uint32_t quote_off;
	bool error;          /* an ICMP error: the key is the quoted packet's */
	uint8_t tcp_flags;
	struct nat_key k;
	uint32_t hash;
};

/* Outbound: a packet from a peer, or a peer's ICMP error about a packet that came in from the
 * internet (remote -> inner), whose quote names the session by its outbound key. */
static enum nat_result
outbound_prepare(const struct nat *n, int family, const uint8_t *ip, uint32_t len,
		 struct nat_lookup *lk)
{
	uint8_t version = nat_version_of(family);
	const uint8_t *l4;
	enum nat_result r;

	if (version == 0)
		return NAT_DROP_MALFORMED;
	if (!n->has_egress[version == 6])
		return NAT_DROP_FAMILY_DISABLED;
	r = nat_ip_parse(ip, len, version, false, &lk->p);
	if (r != NAT_OK)
		return r;
	l4 = ip + lk->p.l4_off;
	r = check_l4(l4, &lk->p);
	if (r != NAT_OK)
		return r;
	memset(&lk->k, 0, sizeof(lk->k));
	lk->tcp_flags = 0;
	lk->error = nat_is_icmp(version, lk->p.proto) &&
		    nat_icmp_kind(version, l4[0]) == NAT_ICMP_ERROR;
	if (lk->error) {
		const uint8_t *quote;

		r = parse_quote(ip, &lk->p, &lk->quote, &lk->quote_off);
		if (r != NAT_OK)
			return r;
		quote = ip + lk->quote_off;
		/* an error goes back to where the packet came from (RFC 1122 3.2.2, RFC 4443 2.2):
		 * anything else would show the session to a third party */
		if (memcmp(ip + nat_addr_off(&lk->p, NAT_DESTINATION),
			   quote + nat_addr_off(&lk->quote, NAT_SOURCE), nat_addr_len(version)) != 0)
			return NAT_DROP_NO_SESSION;
		lk->k.version = version;
		lk->k.proto = lk->quote.proto;
		r = key_ports(&lk->k, quote + lk->quote.l4_off, &lk->quote, NAT_DESTINATION,
			      NAT_ICMP_ECHO_REPLY, &lk->tcp_flags);
		if (r != NAT_OK)
			return r;
		key_addresses(&lk->k, quote, &lk->quote, NAT_DESTINATION);
	} else {
		lk->k.version = version;
		lk->k.proto = lk->p.proto;
		r = key_ports(&lk->k, l4, &lk->p, NAT_SOURCE, NAT_ICMP_ECHO_REQUEST,
			      &lk->tcp_flags);
		if (r != NAT_OK)
			return r;
		key_addresses(&lk->k, ip, &lk->p, NAT_SOURCE);
	}
	lk->hash = nat_table_hash_out(&n->table, &lk->k);
	return NAT_OK;
}

static enum nat_result
outbound_finish(struct nat *n, uint8_t *ip, const struct nat_lookup *lk, uint32_t peer_id,
		uint64_t now_ns)
{
	const uint8_t *egress = egress_of(n, lk->p.version);
	struct nat_session *s;
	enum nat_result r;
	uint32_t delta;

	s = nat_table_find_out(&n->table, lk->hash, &lk->k);
	if (s != NULL && session_expired(s, now_ns)) {
		session_remove(n, s, &n->stats.sessions_expired);
		s = NULL;
	}
	if (lk->error) {
		/* the quote's destination becomes the external endpoint; a peer may only speak
		 * about its own sessions, and an error never creates or refreshes one */
		if (s == NULL || s->peer_id != peer_id)
			return NAT_DROP_NO_SESSION;
		delta = nat_ip_rewrite(ip + lk->quote_off, &lk->quote, NAT_DESTINATION, egress,
				       true, s->ext_port, 0);
		nat_ip_rewrite(ip, &lk->p, NAT_SOURCE, egress, false, 0, delta);
		return NAT_OK;
	}
	if (s != NULL && s->peer_id != peer_id) {
		/* the inner address now belongs to another peer (allowed IPs changed) */
		session_remove(n, s, &n->stats.sessions_replaced);
		s = NULL;
	}
	if (s == NULL) {
		r = session_create(n, &lk->k, lk->hash, peer_id, lk->tcp_flags, now_ns, &s);
		if (r != NAT_OK)
			return r;
	} else if (lk->p.proto == IPPROTO_TCP) {
		tcp_track(s, lk->tcp_flags, true);
	}
	s->expires_ns = now_ns + session_timeout(n, s);
	nat_ip_rewrite(ip, &lk->p, NAT_SOURCE, egress, true, s->ext_port, 0);
	return NAT_OK;
}

/* Inbound: a packet from the internet to the egress address, or an ICMP error about a packet
 * we sent (egress -> remote), whose quote names the session by its inbound key. */
static enum nat_result
inbound_prepare(const struct nat *n, int family, const uint8_t *ip, uint32_t len,
		struct nat_lookup *lk)
{
	uint8_t version = nat_version_of(family);
	const uint8_t *egress, *l4;
	enum nat_result r;

	if (version == 0)
		return NAT_DROP_MALFORMED;
	if (!n->has_egress[version == 6])
		return NAT_DROP_FAMILY_DISABLED;
	egress = egress_of(n, version);
	r = nat_ip_parse(ip, len, version, false, &lk->p);
	if (r != NAT_OK)
		return r;
	l4 = ip + lk->p.l4_off;
	r = check_l4(l4, &lk->p);
	if (r != NAT_OK)
		return r;
	if (memcmp(ip + nat_addr_off(&lk->p, NAT_DESTINATION), egress, nat_addr_len(version)) != 0)
		return NAT_DROP_NO_SESSION;
	memset(&lk->k, 0, sizeof(lk->k));
	lk->tcp_flags = 0;
	lk->k.version = version;
	lk->error = nat_is_icmp(version, lk->p.proto) &&
		    nat_icmp_kind(version, l4[0]) == NAT_ICMP_ERROR;
	if (lk->error) {
		const uint8_t *quote;

		r = parse_quote(ip, &lk->p, &lk->quote, &lk->quote_off);
		if (r != NAT_OK)
			return r;
		quote = ip + lk->quote_off;
		if (memcmp(quote + nat_addr_off(&lk->quote, NAT_SOURCE), egress,
			   nat_addr_len(version)) != 0)
			return NAT_DROP_NO_SESSION;
		lk->k.proto = lk->quote.proto;
		r = key_ports(&lk->k, quote + lk->quote.l4_off, &lk->quote, NAT_SOURCE,
			      NAT_ICMP_ECHO_REQUEST, &lk->tcp_flags);
		if (r != NAT_OK)
			return r;
		memcpy(lk->k.remote_addr, quote + nat_addr_off(&lk->quote, NAT_DESTINATION),
		       nat_addr_len(version));
	} else {
		lk->k.proto = lk->p.proto;
		r = key_ports(&lk->k, l4, &lk->p, NAT_DESTINATION, NAT_ICMP_ECHO_REPLY,
			      &lk->tcp_flags);
		if (r != NAT_OK)
			return r;
		memcpy(lk->k.remote_addr, ip + nat_addr_off(&lk->p, NAT_SOURCE),
		       nat_addr_len(version));
	}
	lk->hash = nat_table_hash_in(&n->table, &lk->k);
	return NAT_OK;
}

static enum nat_result
inbound_finish(struct nat *n, uint8_t *ip, const struct nat_lookup *lk, uint64_t now_ns,
	       uint32_t *peer_id)
{
	struct nat_session *s;
	uint32_t delta;

	s = nat_table_find_in(&n->table, lk->hash, &lk->k);
	if (s == NULL)
		return NAT_DROP_NO_SESSION;
	if (session_expired(s, now_ns)) {
		session_remove(n, s, &n->stats.sessions_expired);
		return NAT_DROP_NO_SESSION;
	}
	if (lk->error) {
		/* the quote's source becomes the inner endpoint again, the outer destination the
		 * inner address; an error refreshes nothing */
		delta = nat_ip_rewrite(ip + lk->quote_off, &lk->quote, NAT_SOURCE, s->inner_addr,
				       true, s->inner_port, 0);
		nat_ip_rewrite(ip, &lk->p, NAT_DESTINATION, s->inner_addr, false, 0, delta);
	} else {
		if (lk->p.proto == IPPROTO_TCP)
			tcp_track(s, lk->tcp_flags, false);
		s->expires_ns = now_ns + session_timeout(n, s);
		nat_ip_rewrite(ip, &lk->p, NAT_DESTINATION, s->inner_addr, true, s->inner_port, 0);
	}
	*peer_id = s->peer_id;
	return NAT_OK;
}

enum nat_result
nat_outbound(struct nat *n, int family, uint8_t *ip, uint32_t len, uint32_t peer_id,
	     uint64_t now_ns)
{
	struct nat_lookup lk;
	enum nat_result r = outbound_prepare(n, family, ip, len, &lk);

	if (r == NAT_OK)
		r = outbound_finish(n, ip, &lk, peer_id, now_ns);
	stat_add(&n->stats.outbound[r], 1);
	return r;
}

enum nat_result
nat_inbound(struct nat *n, int family, uint8_t *ip, uint32_t len, uint64_t now_ns,
	    uint32_t *peer_id)
{
	struct nat_lookup lk;
	enum nat_result r = inbound_prepare(n, family, ip, len, &lk);

	if (r == NAT_OK)
		r = inbound_finish(n, ip, &lk, now_ns, peer_id);
	stat_add(&n->stats.inbound[r], 1);
	return r;
}

/*
 * Bursts: every packet's key first, with a prefetch of its home slot; then a prefetch of the
 * session each slot names; then the translations in order. The misses of a chunk overlap
 * instead of following one another. Prefetches are hints: finish looks everything up again, so
 * packets of one new flow in one burst still find the session the first of them created.
 */
static unsigned int
burst(struct nat *n, struct nat_burst_packet *pkts, unsigned int count, uint64_t now_ns,
      bool outbound)
{
	struct nat_lookup lk[NAT_BURST_CHUNK];
	unsigned int done = 0, translated = 0, i;

	while (done < count) {
		unsigned int chunk = count - done;
		struct nat_burst_packet *b = pkts + done;

		if (chunk > NAT_BURST_CHUNK)
			chunk = NAT_BURST_CHUNK;
		for (i = 0; i < chunk; i++) {
			b[i].result = outbound ? outbound_prepare(n, b[i].family, b[i].ip, b[i].len,
								  &lk[i])
					       : inbound_prepare(n, b[i].family, b[i].ip, b[i].len,
								 &lk[i]);
			if (b[i].result == NAT_OK)
				nat_table_prefetch_slot(&n->table, outbound, lk[i].hash);
		}
		for (i = 0; i < chunk; i++)
			if (b[i].result == NAT_OK)
				nat_table_prefetch_session(&n->table, outbound, lk[i].hash);
		for (i = 0; i < chunk; i++) {
			if (b[i].result == NAT_OK)
				b[i].result = outbound ? outbound_finish(n, b[i].ip, &lk[i],
									 b[i].peer_id, now_ns)
						       : inbound_finish(n, b[i].ip, &lk[i], now_ns,
									&b[i].peer_id);
			if (outbound)
				stat_add(&n->stats.outbound[b[i].result], 1);
			else
				stat_add(&n->stats.inbound[b[i].result], 1);
			translated += b[i].result == NAT_OK;
		}
		done += chunk;
	}
	return translated;
}

unsigned int
nat_outbound_burst(struct nat *n, struct nat_burst_packet *pkts, unsigned int count,
		   uint64_t now_ns)
{
	return burst(n, pkts, count, now_ns, true);
}

unsigned int
nat_inbound_burst(struct nat *n, struct nat_burst_packet *pkts, unsigned int count,
		  uint64_t now_ns)
{
	return burst(n, pkts, count, now_ns, false);
}

unsigned int
nat_owner_of_packet(const struct nat *n, int family, const uint8_t *ip, uint32_t len)
{
	uint8_t version = nat_version_of(family);
	struct nat_ip p, quote;
	const uint8_t *l4;
	uint32_t quote_off;
	uint16_t port;
	unsigned int owner;

	if (version == 0 || nat_ip_parse(ip, len, version, false, &p) != NAT_OK)
		return n->worker;
	l4 = ip + p.l4_off;
	if (check_l4(l4, &p) != NAT_OK)
		return n->worker;
	if (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP) {
		port = ntohs(nat_load16(l4 + nat_port_off(p.proto, NAT_DESTINATION)));
	} else if (!nat_is_icmp(version, p.proto)) {
		return n->worker;
	} else if (nat_icmp_kind(version, l4[0]) == NAT_ICMP_ECHO_REPLY) {
		port = ntohs(nat_load16(l4 + 4));
	} else if (nat_icmp_kind(version, l4[0]) == NAT_ICMP_ERROR &&
		   parse_quote(ip, &p, &quote, &quote_off) == NAT_OK &&
		   (quote.proto == IPPROTO_TCP || quote.proto == IPPROTO_UDP ||
		    nat_is_icmp(version, quote.proto))) {
		/* the quote is a packet we sent: its source port is ours */
		port = ntohs(nat_load16(ip + quote_off + quote.l4_off +
					nat_port_off(quote.proto, NAT_SOURCE)));
	} else {
		return n->worker;
	}
	owner = nat_port_owner(n->port_min, n->port_max, n->workers, port);
	return owner < n->workers ? owner : n->worker;
}

/* ---- expiry, walk, statistics ---- */

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
		if (s->version != 0 && session_expired(s, now_ns)) {
			session_remove(n, s, &n->stats.sessions_expired);
			removed++;
		}
	}
	return removed;
}

static void
endpoint_set(struct netendpoint *e, uint8_t version, const uint8_t *addr, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.family = version == 4 ? AF_INET : AF_INET6;
	memcpy(e->addr.bytes, addr, nat_addr_len(version));
	e->port = port;
}

unsigned int
nat_walk(const struct nat *n, bool (*visit)(const struct nat_session_info *session, void *ctx),
	 void *ctx)
{
	const struct nat_table *t = &n->table;
	unsigned int visited = 0;
	uint32_t i;

	for (i = 0; i < t->capacity; i++) {
		const struct nat_session *s = &t->sessions[i];
		struct nat_session_info info;

		if (s->version == 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.protocol = s->proto;
		info.tcp_state = (enum nat_tcp_state)s->tcp_state;
		endpoint_set(&info.inner, s->version, s->inner_addr, s->inner_port);
		endpoint_set(&info.external, s->version, egress_of(n, s->version), s->ext_port);
		endpoint_set(&info.remote, s->version, s->remote_addr, s->remote_port);
		info.peer_id = s->peer_id;
		info.expires_ns = s->expires_ns;
		visited++;
		if (!visit(&info, ctx))
			break;
	}
	return visited;
}

void
nat_stats_read(const struct nat *n, struct nat_stats *out)
{
	const uint64_t *from = (const uint64_t *)&n->stats;
	uint64_t *to = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

uint32_t
nat_session_count(const struct nat *n)
{
	return nat_table_used(&n->table);
}

uint32_t
nat_capacity(const struct nat *n)
{
	return n->table.capacity;
}

uint32_t
nat_peer_limit(const struct nat *n)
{
	return n->peer_limit;
}

const char *
nat_result_name(enum nat_result result)
{
	static const char *const names[] = {
		"nat_ok",
#define NAT_DROP_NAME(name, text, description) text,
		NAT_DROP_REASONS(NAT_DROP_NAME)
#undef NAT_DROP_NAME
	};

	return (unsigned int)result < NAT_RESULT_COUNT ? names[result] : "unknown";
}

const char *
nat_result_description(enum nat_result result)
{
	static const char *const descriptions[] = {
		"translated",
#define NAT_DROP_DESCRIPTION(name, text, description) description,
		NAT_DROP_REASONS(NAT_DROP_DESCRIPTION)
#undef NAT_DROP_DESCRIPTION
	};

	return (unsigned int)result < NAT_RESULT_COUNT ? descriptions[result] : "unknown";
}

const char *
nat_protocol_name(enum nat_protocol protocol)
{
	static const char *const names[NAT_PROTO_COUNT] = {"tcp", "udp", "icmp"};

	return (unsigned int)protocol < NAT_PROTO_COUNT ? names[protocol] : "unknown";
}

const char *
nat_tcp_state_name(enum nat_tcp_state state)
{
	switch (state) {
	case NAT_TCP_NONE:
		return "none";
	case NAT_TCP_OPENING:
		return "opening";
	case NAT_TCP_ESTABLISHED:
		return "established";
	case NAT_TCP_CLOSING:
		return "closing";
	}
	return "unknown";
}

/* ---- creation ---- */

static void *
default_alloc(size_t size, size_t align, void *ctx)
{
	(void)ctx;
	return aligned_alloc(align, (size + align - 1) & ~(align - 1));
}

static void
default_free(void *memory, void *ctx)
{
	(void)ctx;
	free(memory);
}

/* A node-wide number's share of one worker, rounded up. */
static uint32_t
per_worker(uint32_t total, unsigned int workers)
{
	return (uint32_t)(((uint64_t)total + workers - 1) / workers);
}

static int
config_check(const struct nat_config *c)
{
	if (c->workers == 0 || c->worker >= c->workers) {
		log_warn("nat: worker %u of %u: no such worker", c->worker, c->workers);
		return -1;
	}
	if (c->port_min == 0 || c->port_min > c->port_max) {
		log_warn("nat: port range %u-%u: empty or includes 0", c->port_min, c->port_max);
		return -1;
	}
	if (c->worker > (unsigned int)(c->port_max - c->port_min)) {
		log_warn("nat: port range %u-%u: no ports left for worker %u of %u", c->port_min,
			 c->port_max, c->worker, c->workers);
		return -1;
	}
	if ((c->egress_ipv4.family != 0 && c->egress_ipv4.family != AF_INET) ||
	    (c->egress_ipv6.family != 0 && c->egress_ipv6.family != AF_INET6) ||
	    (c->egress_ipv4.family == 0 && c->egress_ipv6.family == 0)) {
		log_warn("nat: egress addresses: need an IPv4 one, an IPv6 one or both");
		return -1;
	}
	if (c->sessions == 0 || per_worker(c->sessions, c->workers) > NAT_MAX_SESSIONS ||
	    c->sessions_per_peer == 0) {
		log_warn("nat: sessions %u, per peer %u: out of range (1..%u per worker)",
			 c->sessions, c->sessions_per_peer, (unsigned int)NAT_MAX_SESSIONS);
		return -1;
	}
	if (c->timeouts.tcp_established == 0 || c->timeouts.tcp_transitory == 0 ||
	    c->timeouts.udp == 0 || c->timeouts.icmp == 0) {
		log_warn("nat: timeouts: every timeout must be at least one second");
		return -1;
	}
	if (c->reserved_port_count != 0 && c->reserved_ports == NULL) {
		log_warn("nat: reserved ports: %u announced, none given", c->reserved_port_count);
		return -1;
	}
	return 0;
}

static size_t
header_size(void)
{
	return (sizeof(struct nat) + NAT_ALIGN - 1) & ~(size_t)(NAT_ALIGN - 1);
}

struct nat *
nat_create(const struct nat_config *c, const struct nat_allocator *allocator)
{
	static const struct nat_allocator default_allocator = {default_alloc, default_free, NULL};
	const uint64_t ns = 1000000000ULL;
	uint32_t capacity;
	struct nat *n;
	size_t size;
	unsigned int i;

	if (config_check(c) < 0)
		return NULL;
	if (sodium_init() < 0) {
		log_warn("nat: sodium_init: failed");
		return NULL;
	}
	if (allocator == NULL)
		allocator = &default_allocator;
	capacity = per_worker(c->sessions, c->workers);
	size = header_size() + nat_table_memory(capacity);
	n = allocator->alloc(size, NAT_ALIGN, allocator->ctx);
	if (n == NULL) {
		log_warn("nat: allocating %zu bytes for %u sessions: out of memory", size,
			 capacity);
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->allocator = *allocator;
	nat_table_init(&n->table, (uint8_t *)n + header_size(), capacity);
	if (c->egress_ipv4.family == AF_INET) {
		memcpy(n->egress[0], c->egress_ipv4.bytes, 4);
		n->has_egress[0] = true;
	}
	if (c->egress_ipv6.family == AF_INET6) {
		memcpy(n->egress[1], c->egress_ipv6.bytes, 16);
		n->has_egress[1] = true;
	}
	n->port_min = c->port_min;
	n->port_max = c->port_max;
	n->worker = c->worker;
	n->workers = c->workers;
	n->slice_ports = (uint32_t)(c->port_max - c->port_min - c->worker) / c->workers + 1;
	n->peer_limit = per_worker(c->sessions_per_peer, c->workers);
	n->tcp_established_ns = c->timeouts.tcp_established * ns;
	n->tcp_transitory_ns = c->timeouts.tcp_transitory * ns;
	n->udp_ns = c->timeouts.udp * ns;
	n->icmp_ns = c->timeouts.icmp * ns;
	randombytes_buf(n->port_key, sizeof(n->port_key));
	for (i = 0; i < c->reserved_port_count; i++)
		n->reserved[c->reserved_ports[i] / 64] |= 1ULL << (c->reserved_ports[i] % 64);
	return n;
}

void
nat_destroy(struct nat *n)
{
	struct nat_allocator allocator;

	if (n == NULL)
		return;
	allocator = n->allocator;
	sodium_memzero(n->table.hash_key, sizeof(n->table.hash_key));
	sodium_memzero(n->port_key, sizeof(n->port_key));
	allocator.free(n, allocator.ctx);
}
