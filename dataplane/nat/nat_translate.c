/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two translation paths (a packet at a time and in bursts) and the owner function: parse,
 * build the session key from the packet (or from the packet an ICMP error quotes), find or
 * create the session, rewrite. nat.h says what each direction does and why.
 */
#include <arpa/inet.h>
#include <string.h>

#include "nat_checksum.h"
#include "nat_internal.h"
#include "nat_packet.h"

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
			   quote + nat_addr_off(&lk->quote, NAT_SOURCE),
			   nat_addr_len(version)) != 0)
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
	const uint8_t *egress = nat_egress(n, lk->p.version);
	struct nat_session *s;
	enum nat_result r;
	uint32_t delta;

	s = nat_table_find_out(&n->table, lk->hash, &lk->k);
	if (s != NULL && nat_session_expired(s, now_ns)) {
		nat_session_remove(n, s, &n->stats.sessions_expired);
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
		nat_session_remove(n, s, &n->stats.sessions_replaced);
		s = NULL;
	}
	if (s == NULL) {
		r = nat_session_create(n, &lk->k, lk->hash, peer_id, lk->tcp_flags, now_ns, &s);
		if (r != NAT_OK)
			return r;
	} else {
		nat_session_refresh(n, s, lk->tcp_flags, true, now_ns);
	}
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
	egress = nat_egress(n, version);
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
	if (nat_session_expired(s, now_ns)) {
		nat_session_remove(n, s, &n->stats.sessions_expired);
		return NAT_DROP_NO_SESSION;
	}
	if (lk->error) {
		/* the quote's source becomes the inner endpoint again, the outer destination the
		 * inner address; an error refreshes nothing */
		delta = nat_ip_rewrite(ip + lk->quote_off, &lk->quote, NAT_SOURCE, s->inner_addr,
				       true, s->inner_port, 0);
		nat_ip_rewrite(ip, &lk->p, NAT_DESTINATION, s->inner_addr, false, 0, delta);
	} else {
		nat_session_refresh(n, s, lk->tcp_flags, false, now_ns);
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

