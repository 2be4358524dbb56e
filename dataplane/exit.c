/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "exit.h"
#include "frag.h"
#include "icmp_error.h"
#include "l2.h"
#include "l3.h"
#include "nat.h"
#include "wg_data.h"

enum {
	NAT_RING_SIZE = 4096,
	NAT_EXPIRE_BUDGET = 64, /* sessions checked per loop iteration */
	QUOTE_SAVE = 68,        /* an IP header with options and 8 bytes of what follows */
	TCP_OPT_EOL = 0,
	TCP_OPT_NOP = 1,
	TCP_OPT_MSS = 2,
};

/* ---- setup ---- */

static void *
nat_alloc(size_t size, size_t align, void *ctx)
{
	struct worker *w = ctx;

	return rte_zmalloc_socket("nat", size, (unsigned int)align,
				  (int)rte_lcore_to_socket_id(w->lcore));
}

static void
nat_free(void *memory, void *ctx)
{
	(void)ctx;
	rte_free(memory);
}

int
exit_worker_init(struct worker *w)
{
	struct dataplane *dp = w->dp;
	struct nat_allocator allocator = {nat_alloc, nat_free, w};
	struct nat_config nc = dp->nat_config;
	char name[RTE_RING_NAMESIZE];

	if (!dp->exit_enabled)
		return 0;
	if (frag_worker_init(w) != 0)
		return -1;
	if (dp->exit_v4_masquerade || dp->exit_v6_masquerade) {
		nc.worker = w->index;
		w->nat = nat_create(&nc, &allocator);
		snprintf(name, sizeof(name), "nat%u", w->index);
		w->nat_ring = rte_ring_create(name, NAT_RING_SIZE, rte_lcore_to_socket_id(w->lcore),
					      RING_F_SC_DEQ);
		if (w->nat == NULL || w->nat_ring == NULL)
			return -1;
	}
	return 0;
}

void
exit_worker_fini(struct worker *w)
{
	struct rte_mbuf *m;

	if (w->nat_ring != NULL) {
		while (rte_ring_dequeue(w->nat_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->nat_ring);
	}
	/* a worker stops between bursts, so its stages are empty; a benchmark or test that
	 * replaces the instance mid-burst loses what they held, counted nowhere else */
	rte_pktmbuf_free_bulk(w->exit_out.pkts, w->exit_out.count);
	rte_pktmbuf_free_bulk(w->exit_in.pkts, w->exit_in.count);
	w->exit_out.count = 0;
	w->exit_in.count = 0;
	nat_destroy(w->nat);
	frag_worker_fini(w);
	w->nat = NULL;
	w->nat_ring = NULL;
}

/* ---- per-packet helpers ---- */

static int
family_of(const uint8_t *ip)
{
	return (ip[0] >> 4) == 4 ? AF_INET : AF_INET6;
}

static bool
masqueraded(const struct dataplane *dp, int family)
{
	return family == AF_INET ? dp->exit_v4_masquerade : dp->exit_v6_masquerade;
}

/* RFC 1624: checksum after a 16-bit word changed from old to new (both network order). */
static uint16_t
cksum_update16(uint16_t cksum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old;
	sum += new;
	return (uint16_t)~cksum_fold(sum);
}

/* Decrement the TTL / hop limit; false when it ran out (the packet must not go on). */
static bool
ttl_decrement(uint8_t *ip)
{
	if ((ip[0] >> 4) == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		uint16_t old, new;

		if (h->time_to_live <= 1)
			return false;
		memcpy(&old, &h->time_to_live, 2); /* TTL and protocol share a checksum word */
		h->time_to_live--;
		memcpy(&new, &h->time_to_live, 2);
		h->hdr_checksum = cksum_update16(h->hdr_checksum, old, new);
		return true;
	}
	if (((struct rte_ipv6_hdr *)ip)->hop_limits <= 1)
		return false;
	((struct rte_ipv6_hdr *)ip)->hop_limits--;
	return true;
}

/* May the node fragment this packet (data at ip)? IPv4 without DF; IPv6 only when the node
 * reassembled it (frag.h): routers never fragment IPv6. */
static bool
may_fragment(const uint8_t *ip, bool reassembled)
{
	if ((ip[0] >> 4) != 4)
		return reassembled;
	return (rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)ip)->fragment_offset) &
		RTE_IPV4_HDR_DF_FLAG) == 0;
}

/*
 * Clamp the MSS option of a SYN to what fits the tunnel: the inner packet is at most the tunnel
 * MTU, so TCP payload is MTU minus the IP and TCP headers.
 */
static void
mss_clamp(uint8_t *ip, uint32_t len, uint32_t tunnel_mtu)
{
	uint32_t l3 = 0, max_mss;
	struct rte_tcp_hdr *tcp;
	uint8_t *opt, *end;

	if ((ip[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)ip;

		if (h->next_proto_id != IPPROTO_TCP ||
		    (rte_be_to_cpu_16(h->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0)
			return;
		l3 = rte_ipv4_hdr_len(h);
		max_mss = tunnel_mtu - 40;
	} else {
		if (((const struct rte_ipv6_hdr *)ip)->proto != IPPROTO_TCP)
			return;
		l3 = sizeof(struct rte_ipv6_hdr);
		max_mss = tunnel_mtu - 60;
	}
	if (len < l3 + sizeof(*tcp))
		return;
	tcp = (struct rte_tcp_hdr *)(ip + l3);
	if ((tcp->tcp_flags & RTE_TCP_SYN_FLAG) == 0 || (tcp->data_off >> 4) * 4u < sizeof(*tcp) ||
	    l3 + (tcp->data_off >> 4) * 4u > len)
		return;
	opt = (uint8_t *)(tcp + 1);
	end = (uint8_t *)tcp + (tcp->data_off >> 4) * 4;
	while (opt < end && *opt != TCP_OPT_EOL) {
		if (*opt == TCP_OPT_NOP) {
			opt++;
			continue;
		}
		if (opt + 1 >= end || opt[1] < 2 || opt + opt[1] > end)
			return;
		if (*opt == TCP_OPT_MSS && opt[1] == 4) {
			uint16_t old, mss;

			memcpy(&old, opt + 2, 2);
			if (rte_be_to_cpu_16(old) <= max_mss)
				return;
			mss = rte_cpu_to_be_16((uint16_t)max_mss);
			memcpy(opt + 2, &mss, 2);
			/* the option starts at an even offset of the TCP header when it is aligned;
			 * adjust the checksum by the word that holds it */
			if (((opt + 2 - (uint8_t *)tcp) & 1) == 0) {
				tcp->cksum = cksum_update16(tcp->cksum, old, mss);
			} else {
				tcp->cksum = 0;
				tcp->cksum = (ip[0] >> 4) == 4
						     ? rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)ip, tcp)
						     : rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)ip, tcp);
			}
			return;
		}
		opt += opt[1];
	}
}

static const struct netaddr *
tunnel_source(const struct dataplane *dp, int family)
{
	return family == AF_INET ? &dp->tunnel_v4 : &dp->tunnel_v6;
}

static const struct netaddr *
exit_source(const struct dataplane *dp, int family)
{
	return family == AF_INET ? &dp->exit_v4 : &dp->exit_v6;
}

/* ---- outbound ---- */

/* The two ports (or the echo identifier and 0) of a transport header, network order. */
static void
l4_ports(const uint8_t *l4, uint32_t avail, uint8_t proto, uint16_t *a, uint16_t *b)
{
	*a = *b = 0;
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && avail >= 4) {
		memcpy(a, l4, 2);
		memcpy(b, l4 + 2, 2);
	} else if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && avail >= 6) {
		memcpy(a, l4 + 4, 2); /* echo identifier */
	}
}

static uint32_t
mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

/*
 * The worker whose NAT instance owns an outbound flow: a hash of its inner 5-tuple, the same
 * on every worker. A peer's packets normally reach one worker (RSS on the outer UDP flow), but
 * not always (a roaming peer changes queues; af_packet rolls over to another socket under
 * load), and a flow must always meet its own session: a second session elsewhere would give it
 * a second external port. ICMP errors about a flow hash as the flow they quote, reversed.
 */
static unsigned int
outbound_owner(const uint8_t *ip, uint32_t len, unsigned int workers)
{
	const uint8_t *l4, *src, *dst;
	unsigned int alen;
	uint16_t sport, dport;
	uint8_t proto;
	uint32_t h = 0;

	if (workers == 1)
		return 0;
	if ((ip[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *h4 = (const struct rte_ipv4_hdr *)ip;

		proto = h4->next_proto_id;
		l4 = ip + rte_ipv4_hdr_len(h4);
		src = (const uint8_t *)&h4->src_addr;
		dst = (const uint8_t *)&h4->dst_addr;
		alen = 4;
	} else {
		const struct rte_ipv6_hdr *h6 = (const struct rte_ipv6_hdr *)ip;

		proto = h6->proto;
		l4 = ip + sizeof(*h6);
		src = h6->src_addr;
		dst = h6->dst_addr;
		alen = 16;
	}
	if (l4 > ip + len)
		return 0;
	/* an ICMP error: the quoted packet went remote -> inner; hash its reverse */
	if ((proto == IPPROTO_ICMP && l4 + 8 + 20 <= ip + len && (l4[0] == 3 || l4[0] == 11 ||
								   l4[0] == 12)) ||
	    (proto == IPPROTO_ICMPV6 && l4 + 8 + 40 <= ip + len && l4[0] < 128)) {
		const uint8_t *q = l4 + 8;
		uint32_t qlen = (uint32_t)(ip + len - q);
		const uint8_t *qsrc, *qdst, *ql4;

		if ((q[0] >> 4) == 4) {
			proto = q[9];
			qsrc = q + 12;
			qdst = q + 16;
			ql4 = q + (q[0] & 0x0f) * 4;
		} else {
			proto = q[6];
			qsrc = q + 8;
			qdst = q + 24;
			ql4 = q + 40;
		}
		if (ql4 > q + qlen)
			return 0;
		l4_ports(ql4, (uint32_t)(q + qlen - ql4), proto, &dport, &sport);
		if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
			sport = dport, dport = 0;
		src = qdst;
		dst = qsrc;
		if (proto == IPPROTO_ICMPV6)
			proto = IPPROTO_ICMP;
	} else {
		l4_ports(l4, (uint32_t)(ip + len - l4), proto, &sport, &dport);
		if (proto == IPPROTO_ICMPV6)
			proto = IPPROTO_ICMP;
	}
	for (unsigned int i = 0; i < alen; i += 4) {
		uint32_t a, b;

		memcpy(&a, src + i, 4);
		memcpy(&b, dst + i, 4);
		h = mix(mix(h, a), b);
	}
	h = mix(h, (uint32_t)sport << 16 | dport);
	h = mix(h, proto);
	return h % workers;
}

/* ---- the output stage ---- */

static void
to_exit_port(struct worker *w, struct rte_mbuf *m, void *arg)
{
	(void)arg;
	l2_output_ip(w, w->dp->exit_role, m, NULL);
}

/* Out of the exit port, in fragments when the exit link needs them (checked: it may). */
static void
exit_send(struct worker *w, struct rte_mbuf *m)
{
	if (rte_pktmbuf_pkt_len(m) > w->dp->exit_mtu)
		frag_split(w, m, w->dp->exit_mtu, to_exit_port, NULL);
	else
		to_exit_port(w, m, NULL);
}

static void
to_peer(struct worker *w, struct rte_mbuf *m, void *arg)
{
	wg_data_send(w, arg, m);
}

/* Into the tunnel to peer (checked: it may be fragmented if it must), SYN-ACKs clamped. The
 * encryption is the transmit burst's (wg_data_send queues it). */
static void
deliver_to_peer(struct worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	struct dataplane *dp = w->dp;
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (dp->mss_clamp)
		mss_clamp(ip, len, dp->tunnel_mtu);
	if (len > dp->tunnel_mtu)
		frag_split(w, m, dp->tunnel_mtu, to_peer, peer);
	else
		wg_data_send(w, peer, m);
}

/* ---- the NAT stages ---- */

/*
 * A stage's packets wait for one NAT burst: their keys are hashed and their table slots and
 * sessions fetched together (nat.h), then each goes on to the output stage in the order it came.
 * A stage runs when it is full and at the end of every burst (exit_flush). Its count is reset
 * before it runs and nothing it calls adds to it or runs it again: translated packets go out
 * or into the encrypt burst, which, when it fills, seals only itself (wg_data_send).
 */
static void
stage_add(struct exit_stage *st, struct rte_mbuf *m, uint32_t peer_id)
{
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned int i = st->count++;

	st->pkts[i] = m;
	st->nat[i] = (struct nat_burst_packet){
		.ip = ip,
		.len = rte_pktmbuf_pkt_len(m),
		.family = family_of(ip),
		.peer_id = peer_id,
	};
}

/* Outbound: masquerade the stage's packets, then out of the exit port. */
static void
outbound_stage_run(struct worker *w)
{
	struct exit_stage *st = &w->exit_out;
	unsigned int n = st->count;

	if (n == 0)
		return;
	st->count = 0;
	nat_outbound_burst(w->nat, st->nat, n, w->now_ns);
	for (unsigned int i = 0; i < n; i++) {
		if (unlikely(st->nat[i].result != NAT_OK)) {
			/* counted by the NAT instance, per reason */
			rte_pktmbuf_free(st->pkts[i]);
			continue;
		}
		exit_send(w, st->pkts[i]);
	}
}

/* An outbound packet this worker's instance owns, its checks made: into the NAT stage. */
static void
outbound_stage_add(struct worker *w, struct rte_mbuf *m, uint32_t peer_id)
{
	stage_add(&w->exit_out, m, peer_id);
	if (w->exit_out.count == WORKER_EXIT_STAGE)
		outbound_stage_run(w);
}

/* Hand a packet to the worker whose NAT instance owns its flow. */
static void
hand_over(struct worker *w, unsigned int owner, struct rte_mbuf *m, enum dp_msg_kind kind,
	  uint32_t peer_id, bool reassembled)
{
	dp_meta(m)->kind = (uint8_t)kind;
	dp_meta(m)->peer_id = peer_id;
	dp_meta(m)->flags = reassembled ? DP_EXIT_REASSEMBLED : 0;
	if (rte_ring_enqueue(w->dp->workers[owner]->nat_ring, m) != 0)
		worker_drop(w, m, DROP_control_queue_full);
}

/*
 * What a router checks before forwarding into the tunnel: the tunnel MTU for a packet that may
 * not be fragmented, and the TTL. An error goes back to the sender from the exit address and
 * quotes quote (the packet as it arrived, never its translated inner addresses); the packet is
 * then dropped (false).
 */
static bool
forward_checks(struct worker *w, struct rte_mbuf *m, bool reassembled, const uint8_t *quote,
	       uint32_t quote_len)
{
	struct dataplane *dp = w->dp;
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	int family = family_of(ip);
	struct rte_mbuf *err = NULL;
	enum drop_reason why;

	if (len > dp->tunnel_mtu && !may_fragment(ip, reassembled)) {
		err = icmp_error_build(w, quote, quote_len, ICMP_ERROR_TOO_BIG, dp->tunnel_mtu,
				       exit_source(dp, family));
		why = DROP_too_big;
	} else if (!ttl_decrement(ip)) {
		err = icmp_error_build(w, quote, quote_len, ICMP_ERROR_TTL_EXCEEDED, 0,
				       exit_source(dp, family));
		why = DROP_ttl_exceeded;
	} else {
		return true;
	}
	if (err != NULL)
		l2_output_ip(w, dp->exit_role, err, NULL);
	worker_drop(w, m, why);
	return false;
}

/* Will forward_checks refuse this packet? NAT changes neither its TTL nor its size, so the
 * answer before translation is the answer after it. */
static bool
forward_refused(const struct dataplane *dp, const uint8_t *ip, uint32_t len, bool reassembled)
{
	uint8_t ttl = (ip[0] >> 4) == 4 ? ((const struct rte_ipv4_hdr *)ip)->time_to_live
					: ((const struct rte_ipv6_hdr *)ip)->hop_limits;

	return ttl <= 1 || (len > dp->tunnel_mtu && !may_fragment(ip, reassembled));
}

/*
 * Inbound: translate the packets back, then into the tunnel to each session's peer; the kernel
 * gets what no session claims. quote: the packets' first bytes as they arrived when the forward
 * checks must refuse them (a stage of one, see inbound_owned), else NULL: the checks passed
 * before translation and only the TTL is left to decrement.
 */
static void
inbound_stage_run(struct worker *w, struct exit_stage *st, const uint8_t *quote,
		  uint32_t quote_len, bool reassembled)
{
	struct dataplane *dp = w->dp;
	unsigned int n = st->count;

	if (n == 0)
		return;
	st->count = 0;
	nat_inbound_burst(w->nat, st->nat, n, w->now_ns);
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = st->pkts[i];
		struct dp_peer *peer;

		if (st->nat[i].result == NAT_DROP_NO_SESSION) {
			l2_to_kernel_ip(w, &dp->ports[dp->exit_role], m);
			continue;
		}
		if (unlikely(st->nat[i].result != NAT_OK)) {
			rte_pktmbuf_free(m); /* counted by the NAT instance */
			continue;
		}
		peer = wg_data_peer(dp, st->nat[i].peer_id);
		if (unlikely(peer == NULL)) {
			worker_drop(w, m, DROP_no_route);
			continue;
		}
		if (unlikely(quote != NULL)) {
			if (!forward_checks(w, m, reassembled, quote, quote_len))
				continue;
		} else {
			ttl_decrement(rte_pktmbuf_mtod(m, uint8_t *));
		}
		deliver_to_peer(w, peer, m);
	}
}

/* A return packet the forward checks will refuse, out of the burst: what the stage holds goes
 * first (order kept), then the packet in a stage of its own, with a copy of its first bytes as
 * they arrived for the error that quotes it. */
static __rte_noinline void
inbound_alone(struct worker *w, struct rte_mbuf *m, bool reassembled)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t saved[QUOTE_SAVE];
	uint32_t saved_len = len < sizeof(saved) ? len : sizeof(saved);
	struct exit_stage alone;

	inbound_stage_run(w, &w->exit_in, NULL, 0, false);
	memcpy(saved, ip, saved_len);
	alone.count = 0;
	stage_add(&alone, m, 0);
	inbound_stage_run(w, &alone, saved, saved_len, reassembled);
}

/* Return traffic this worker's instance owns: into the NAT stage (the common case). */
static void
inbound_owned(struct worker *w, struct rte_mbuf *m, bool reassembled)
{
	if (unlikely(forward_refused(w->dp, rte_pktmbuf_mtod(m, const uint8_t *),
				     rte_pktmbuf_pkt_len(m), reassembled))) {
		inbound_alone(w, m, reassembled);
		return;
	}
	stage_add(&w->exit_in, m, 0);
	if (w->exit_in.count == WORKER_EXIT_STAGE)
		inbound_stage_run(w, &w->exit_in, NULL, 0, false);
}

/* ---- classification: the exit checks, then the stage or another worker ---- */

void
exit_outbound(struct worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	struct dataplane *dp = w->dp;
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	int family = family_of(ip);
	bool nat = w->nat != NULL && masqueraded(dp, family), reassembled = false;
	uint32_t len;

	if (!dp->exit_enabled) {
		worker_drop(w, m, DROP_no_route);
		return;
	}
	/* NAT needs the ports of the whole datagram (a non-first fragment has none) */
	if (nat && unlikely(frag_is_fragment(ip))) {
		m = frag_reassemble(w, m);
		if (m == NULL)
			return; /* kept for the other pieces, or dropped and counted */
		ip = rte_pktmbuf_mtod(m, uint8_t *);
		reassembled = true;
	}
	len = rte_pktmbuf_pkt_len(m);
	if (unlikely(!ttl_decrement(ip))) {
		struct rte_mbuf *err = icmp_error_build(w, ip, len, ICMP_ERROR_TTL_EXCEEDED, 0,
							tunnel_source(dp, family));

		if (err != NULL)
			wg_data_send(w, peer, err);
		worker_drop(w, m, DROP_ttl_exceeded);
		return;
	}
	if (dp->mss_clamp)
		mss_clamp(ip, len, dp->tunnel_mtu);
	if (unlikely(len > dp->exit_mtu && !may_fragment(ip, reassembled))) {
		struct rte_mbuf *err = icmp_error_build(w, ip, len, ICMP_ERROR_TOO_BIG, dp->exit_mtu,
							tunnel_source(dp, family));

		if (err != NULL)
			wg_data_send(w, peer, err);
		worker_drop(w, m, DROP_too_big);
		return;
	}
	if (!nat) {
		exit_send(w, m); /* routed */
		return;
	}
	if (dp->worker_count > 1) {
		unsigned int owner = outbound_owner(ip, len, dp->worker_count);

		if (owner != w->index) {
			/* its checks are made: the owner only translates and sends */
			hand_over(w, owner, m, DP_NAT_OUTBOUND, peer->id, false);
			return;
		}
	}
	outbound_stage_add(w, m, peer->id);
}

bool
exit_inbound(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	struct dataplane *dp = w->dp;
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	int family = eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? AF_INET : AF_INET6;
	bool reassembled = false;
	uint8_t *ip;

	if (w->nat == NULL || port->role != dp->exit_role || !masqueraded(dp, family))
		return false;
	rte_pktmbuf_adj(m, L2_HLEN);
	ip = rte_pktmbuf_mtod(m, uint8_t *);
	if (unlikely(frag_is_fragment(ip))) {
		m = frag_reassemble(w, m);
		if (m == NULL)
			return true; /* kept for the other pieces, or dropped and counted */
		ip = rte_pktmbuf_mtod(m, uint8_t *);
		reassembled = true;
	}
	if (dp->worker_count > 1) {
		unsigned int owner = nat_owner_of_packet(w->nat, family, ip, rte_pktmbuf_pkt_len(m));

		if (owner != w->index && owner < dp->worker_count) {
			hand_over(w, owner, m, DP_NAT_INBOUND, 0, reassembled);
			return true;
		}
	}
	inbound_owned(w, m, reassembled);
	return true;
}

void
exit_inbound_routed(struct worker *w, struct rte_mbuf *m)
{
	uint8_t *ip;

	rte_pktmbuf_adj(m, L2_HLEN);
	ip = rte_pktmbuf_mtod(m, uint8_t *);
	/* routed: the packet keeps its addresses, so it may quote itself */
	if (!forward_checks(w, m, false, ip, rte_pktmbuf_pkt_len(m)))
		return;
	if (!wg_data_route_to_peer(w, m))
		worker_drop(w, m, DROP_no_route);
}

void
exit_flush(struct worker *w)
{
	if (w->nat == NULL)
		return;
	outbound_stage_run(w);
	inbound_stage_run(w, &w->exit_in, NULL, 0, false);
}

unsigned int
exit_poll(struct worker *w)
{
	struct rte_mbuf *pkts[DP_MAX_BURST];
	unsigned int n = 0;

	if (w->nat == NULL)
		return 0;
	n = rte_ring_dequeue_burst(w->nat_ring, (void **)pkts, w->dp->burst, NULL);
	for (unsigned int i = 0; i < n; i++) {
		if (dp_meta(pkts[i])->kind == DP_NAT_OUTBOUND)
			outbound_stage_add(w, pkts[i], dp_meta(pkts[i])->peer_id);
		else
			inbound_owned(w, pkts[i],
				      (dp_meta(pkts[i])->flags & DP_EXIT_REASSEMBLED) != 0);
	}
	exit_flush(w);
	nat_expire(w->nat, w->now_ns, NAT_EXPIRE_BUDGET);
	frag_tick(w);
	return n;
}
