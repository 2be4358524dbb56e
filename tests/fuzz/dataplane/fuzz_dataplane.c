/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's packet parsers under libFuzzer: frames go through one worker's real input
 * path, l2_input_burst (ARP, IPv4, IPv6 and ICMP, the listen port's demultiplexing, WireGuard
 * transport decryption, forwarding, the exit path with NAT, reassembly and fragmentation) and
 * wg_data_flush, as worker_main runs them, on this thread. The data plane is dp_fixture's
 * (tools/benchmarks/dp_fixture.h): EAL without hugepages, net_null ports public, egress and
 * inner, exit with masquerade, one peer.
 *
 * An input is a sequence of records, each
 *
 *   control (1 byte) | length (2 bytes, big endian) | frame (length bytes, cut at the end)
 *
 * control bits 0-1: the port it arrives on (0 public, 1 egress, 2 inner, 3 egress as a reply to
 * the last packet the egress port sent in this input, see reply_rewrite); bits 2-3:
 * what the NIC says about checksums (0 nothing, 1 all good, 2 IP bad, 3 L4 bad); bits 4-6:
 * time that passes before it, in steps of 30 s (keypair ages, NAT timeouts); bit 7: the RX
 * burst ends after this frame. Consecutive frames of one port form one burst (at most
 * dataplane.burst), as rte_eth_rx_burst returns them; a frame longer than an mbuf's data room
 * arrives in two segments. After the last burst comes the end of a worker's loop iteration
 * (exit_poll, wg_data_flush, TX drain); what the worker handed to the control plane is taken
 * off the up rings and freed. The NAT ring stays empty with one worker.
 *
 * Every input starts from the same state: the peer's two keypairs are published anew (index
 * 0x01000001, current, ours as initiator; 0x01000002, a responder's, not yet confirmed; fixed
 * keys, so seeds carry valid transport messages: make_seeds.py) and the exit path's NAT and
 * reassembly state is new. Checked for every input:
 *  - every mbuf is back in the pool at the end (none leaked or held, none freed twice);
 *  - what goes up to the control plane is what it expects of each kind (a handshake message,
 *    STUN, disco, an ARP or ND frame, an IP packet, a notice about the peer);
 *  - every frame the worker sends (its TX buffers are checked and flushed after each burst;
 *    only one that fills a buffer within a burst goes out unchecked) leaves from its port's
 *    MAC, in one segment, with IP lengths that match the frame, a source address the port may
 *    send from (source_ok) and, unless a record claimed checksums good, a right IPv4 header
 *    checksum;
 *  - what goes to the peer (UDP from the listen port) is a transport message on one of its
 *    keypairs, its counter above every earlier one of the keypair (no nonce twice), that the
 *    peer opens to nothing or to one IP packet padded with zeros.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "bench_util.h"
#include "dp_fixture.h"
#include "exit.h"
#include "l2.h"
#include "log.h"
#include "transport.h"
#include "wg_data.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	RECORD_HEADER = 3,
	REPLY_HEADERS_MAX = 128,
	KP_CURRENT_INDEX = 0x01000001,
	KP_NEXT_INDEX = 0x01000002,
};

static const uint64_t time_step_ns = 30ULL * 1000000000ULL;

enum record_control {
	RC_PORT_MASK = 0x03,
	RC_CKSUM_SHIFT = 2,
	RC_CKSUM_MASK = 0x03,
	RC_TIME_SHIFT = 4,
	RC_TIME_MASK = 0x07,
	RC_BURST_END = 0x80,
};

enum cksum_claim {
	CLAIM_NONE,
	CLAIM_GOOD,
	CLAIM_IP_BAD,
	CLAIM_L4_BAD,
};

enum record_port {
	RP_PUBLIC,
	RP_EGRESS,
	RP_INNER,
	RP_EGRESS_REPLY,
};

/* Our keypairs: local index, the peer's index, every byte of our send key and of the peer's
 * (what make_seeds.py seals with). */
static const struct {
	uint32_t local_index;
	uint32_t remote_index;
	uint8_t send_fill;
	uint8_t receive_fill;
	bool initiator;
} keypair_specs[2] = {
	{KP_CURRENT_INDEX, 0x02000001, 0x5a, 0xa5, true},
	{KP_NEXT_INDEX, 0x02000002, 0x3c, 0xc3, false},
};

static const enum config_port_role record_roles[4] = {
	[RP_PUBLIC] = CONFIG_PORT_PUBLIC,
	[RP_EGRESS] = CONFIG_PORT_EGRESS,
	[RP_INNER] = CONFIG_PORT_INNER,
	[RP_EGRESS_REPLY] = CONFIG_PORT_EGRESS,
};

static struct dp_fixture fixture;
static struct dp_keypair *keypairs[2];
static unsigned int pool_baseline;
/* Plays the peer: opens what the node sends it. */
static struct wg_transport_ctx peer_crypto;
/* The next counter each keypair may send with in this input: nonces never repeat. */
static uint64_t next_counter[2];

/* The headers of the last IP packet the egress port sent in this input: replies answer it. */
static struct {
	uint8_t ip[REPLY_HEADERS_MAX];
	uint32_t len;
} last_out;

static void
check_at(bool ok, int line)
{
	if (!ok) {
		fprintf(stderr, "fuzz_dataplane: check failed at line %d\n", line);
		abort();
	}
}
/* a macro only for __LINE__: a failed check names itself */
#define check(x) check_at((x), __LINE__)

/* ---- state ---- */

static void
keypairs_publish(void)
{
	struct dataplane *dp = fixture.dp;
	uint64_t now = dp_now_ns();
	uint8_t send_key[32], receive_key[32];

	for (int i = 0; i < 2; i++) {
		if (keypairs[i] != NULL)
			dp_keypair_remove(dp, keypairs[i]);
		memset(send_key, keypair_specs[i].send_fill, sizeof(send_key));
		memset(receive_key, keypair_specs[i].receive_fill, sizeof(receive_key));
		keypairs[i] = dp_keypair_add(dp, fixture.peer, send_key, receive_key,
					     keypair_specs[i].local_index,
					     keypair_specs[i].remote_index, keypair_specs[i].initiator,
					     now);
		check(keypairs[i] != NULL);
	}
	dp_peer_set_current(fixture.peer, keypairs[0]);
	/* this thread is the only worker: its quiescent state lets the old ones go */
	rte_rcu_qsbr_quiescent(dp->rcu, fixture.w->index);
	dataplane_reclaim(dp);
}

/* A new NAT instance, NAT ring and reassembly table, as a worker starts with. */
static void
exit_state_reset(void)
{
	exit_worker_fini(fixture.w);
	check(exit_worker_init(fixture.w) == 0);
}

/* At exit, before the leak checker looks: it does not scan DPDK's memory, so what is reachable
 * only from there (the worker's ipsec-mb manager, the allowed-IPs table) would read as leaked. */
static void
fixture_stop(void)
{
	rte_rcu_qsbr_thread_offline(fixture.dp->rcu, fixture.w->index);
	wg_transport_ctx_fini(&peer_crypto);
	dp_fixture_stop(&fixture);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct dp_fixture_options options = {
		.name = "egfuzz",
		.eal_memory_mb = 256,
		.exit = true,
		.quiet = true,
	};
	char lcores[64];
	cpu_set_t cpus;
	int cpu = bench_default_core();

	(void)argc;
	log_set_program("fuzz_dataplane");
	/* both lcores on one allowed CPU; EAL pins this thread there, so give its CPUs back */
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", cpu, cpu);
	options.lcores = lcores;
	check(pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0);
	if (dp_fixture_start(&fixture, &options, (*argv)[0]) != 0)
		abort();
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	rte_rcu_qsbr_thread_online(fixture.dp->rcu, fixture.w->index);
	check(wg_transport_ctx_init(&peer_crypto) == 0);
	keypairs_publish();
	pool_baseline = rte_mempool_avail_count(fixture.dp->pool);
	atexit(fixture_stop);
	return 0;
}

/* ---- frames in ---- */

static uint64_t
rx_flags(unsigned int claim)
{
	switch (claim) {
	case CLAIM_GOOD:
		return RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	case CLAIM_IP_BAD:
		return RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
	case CLAIM_L4_BAD:
		return RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN | RTE_MBUF_F_RX_L4_CKSUM_BAD;
	default:
		return 0;
	}
}

/* An mbuf holding the frame as a NIC delivers it (two segments when it does not fit one). */
static struct rte_mbuf *
frame_mbuf(const uint8_t *frame, uint16_t len, uint16_t eth_port, uint64_t flags)
{
	struct rte_mempool *pool = fixture.dp->pool;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *tail;
	uint16_t room;

	if (m == NULL)
		return NULL;
	room = rte_pktmbuf_tailroom(m);
	if (len <= room) {
		memcpy(rte_pktmbuf_append(m, len), frame, len);
	} else {
		tail = rte_pktmbuf_alloc(pool);
		if (tail == NULL || len - room > rte_pktmbuf_tailroom(tail)) {
			rte_pktmbuf_free(tail);
			rte_pktmbuf_free(m);
			return NULL;
		}
		memcpy(rte_pktmbuf_append(m, room), frame, room);
		memcpy(rte_pktmbuf_append(tail, (uint16_t)(len - room)), frame + room, len - room);
		check(rte_pktmbuf_chain(m, tail) == 0);
	}
	m->port = eth_port;
	m->ol_flags = flags;
	return m;
}


/* ---- what came out ---- */

static bool
is_ip_packet(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	return rte_pktmbuf_data_len(m) >= 20 && ((p[0] >> 4) == 4 || (p[0] >> 4) == 6);
}

static void
check_up(struct rte_mbuf *m)
{
	const struct dp_meta *meta = dp_meta(m);
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	static const uint8_t stun_magic[4] = {0x21, 0x12, 0xa4, 0x42};
	static const uint8_t disco_magic[6] = {'T', 'S', 0xf0, 0x9f, 0x92, 0xac};

	check(meta->worker == fixture.w->index);
	check(rte_pktmbuf_data_len(m) == len); /* the control plane reads one segment */
	switch (meta->kind) {
	case DP_UP_HANDSHAKE:
		check(len >= 4 && p[0] >= 1 && p[0] <= 3 && p[1] == 0 && p[2] == 0 && p[3] == 0);
		check(meta->src.addr.family != 0);
		break;
	case DP_UP_STUN:
		check(len >= 20 && memcmp(p + 4, stun_magic, 4) == 0);
		break;
	case DP_UP_DISCO:
		check(len >= 62 && memcmp(p, disco_magic, 6) == 0);
		break;
	case DP_UP_NEIGHBOR:
		check(len >= RTE_ETHER_HDR_LEN);
		break;
	case DP_UP_NEED_NEIGHBOR:
		check(is_ip_packet(m) && meta->next_hop.family != 0);
		break;
	case DP_UP_NEED_KEYPAIR:
		check(meta->peer_id == fixture.peer->id && (len == 0 || is_ip_packet(m)));
		break;
	case DP_UP_RELAY:
		check(meta->peer_id == fixture.peer->id);
		break;
	case DP_UP_NOTICE:
		check(meta->peer_id == fixture.peer->id && len == 0);
		break;
	default:
		check(false);
	}
}

static void
up_rings_drain(void)
{
	struct rte_ring *rings[2] = {fixture.dp->up_handshake, fixture.dp->up_other};
	struct rte_mbuf *m;

	for (int i = 0; i < 2; i++) {
		while (rte_ring_dequeue(rings[i], (void **)&m) == 0) {
			check_up(m);
			rte_pktmbuf_free(m);
		}
	}
}

/* Who may be the source of an IP packet leaving a port: the port's own addresses, and on the
 * inner port the peer's tunnel addresses too (decrypted traffic). Nothing else: no inner
 * address reaches the internet unmasqueraded, no spoofed source gets through the tunnel. */
static bool
source_ok(const struct dp_port *port, int family, const uint8_t *src)
{
	const struct allowedips *table;

	for (unsigned int i = 0; i < port->address_count; i++)
		if (port->addresses[i].addr.family == family &&
		    memcmp(port->addresses[i].addr.bytes, src, family == AF_INET ? 4 : 16) == 0)
			return true;
	if (port->role != CONFIG_PORT_INNER)
		return false;
	table = atomic_load(&fixture.dp->wg->allowed);
	return (family == AF_INET ? allowedips_lookup_v4(table, src)
				  : allowedips_lookup_v6(table, src)) == fixture.peer;
}

/* A packet the node put into the tunnel, as the peer decrypts it: nothing (a keepalive) or one
 * whole IP packet, padded with zeros as the protocol says. */
static void
check_tunnel_payload(const uint8_t *p, uint32_t len, bool honest)
{
	uint32_t total;

	if (len == 0)
		return;
	check(len >= 20 && ((p[0] >> 4) == 4 || (p[0] >> 4) == 6));
	if ((p[0] >> 4) == 4) {
		uint32_t hlen = (p[0] & 0x0f) * 4u;

		total = (uint32_t)(p[2] << 8 | p[3]);
		check(hlen >= 20 && hlen <= total && total <= len);
		check(!honest || rte_raw_cksum(p, hlen) == 0xffff);
	} else {
		check(len >= 40);
		total = 40u + (uint32_t)(p[4] << 8 | p[5]);
		check(total <= len);
	}
	check(len == wg_transport_padded_len(total, fixture.dp->wg->mtu));
	for (uint32_t i = total; i < len; i++)
		check(p[i] == 0);
}

/* A WireGuard message the node sends the peer (UDP from the listen port): a transport message
 * on one of our keypairs, with a counter above every earlier one of that keypair, that opens. */
static void
check_to_peer(const uint8_t *msg, uint32_t len, bool honest)
{
	static uint8_t copy[RTE_MBUF_DEFAULT_BUF_SIZE];
	uint8_t key[32];
	uint32_t receiver;
	uint64_t counter;
	int k;

	check(wg_transport_header_parse(msg, len, &receiver, &counter) == 0);
	for (k = 0; k < 2 && keypair_specs[k].remote_index != receiver; k++)
		;
	check(k < 2 && counter >= next_counter[k] && len <= sizeof(copy));
	next_counter[k] = counter + 1;
	memcpy(copy, msg, len);
	memset(key, keypair_specs[k].send_fill, sizeof(key));
	check(wg_transport_open(&peer_crypto, key, counter, copy, len) == WG_TRANSPORT_OK);
	check_tunnel_payload(copy + WG_MSG_TRANSPORT_HEADER_LEN, len - WG_MSG_TRANSPORT_MIN_LEN,
			     honest);
}

static void
check_tx_frame(const struct dp_port *port, struct rte_mbuf *m, bool honest)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint32_t len = rte_pktmbuf_pkt_len(m);

	check(m->nb_segs == 1 && len >= RTE_ETHER_HDR_LEN);
	check(rte_is_same_ether_addr(&eth->src_addr, &port->mac));
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);

		check(len >= RTE_ETHER_HDR_LEN + sizeof(*ip) && (ip->version_ihl >> 4) == 4);
		check(rte_be_to_cpu_16(ip->total_length) == len - RTE_ETHER_HDR_LEN &&
		      len >= RTE_ETHER_HDR_LEN + rte_ipv4_hdr_len(ip));
		check(!honest || (port->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0 ||
		      rte_raw_cksum(ip, rte_ipv4_hdr_len(ip)) == 0xffff);
		check(source_ok(port, AF_INET, (const uint8_t *)&ip->src_addr));
		if (port->role == CONFIG_PORT_PUBLIC && ip->next_proto_id == IPPROTO_UDP) {
			const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)
				((const uint8_t *)ip + rte_ipv4_hdr_len(ip));

			check(len >= RTE_ETHER_HDR_LEN + rte_ipv4_hdr_len(ip) + sizeof(*udp));
			check(udp->src_port == rte_cpu_to_be_16(DP_FIXTURE_LISTEN_PORT));
			check(rte_be_to_cpu_16(udp->dgram_len) ==
			      rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip));
			check_to_peer((const uint8_t *)(udp + 1),
				      rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp), honest);
		}
	} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(eth + 1);

		check(len >= RTE_ETHER_HDR_LEN + sizeof(*ip) && (ip->vtc_flow & 0xf0) == 0x60);
		check(rte_be_to_cpu_16(ip->payload_len) + sizeof(*ip) == len - RTE_ETHER_HDR_LEN);
		check(source_ok(port, AF_INET6, ip->src_addr));
	}
}

static void
tx_check(bool honest)
{
	struct worker *w = fixture.w;

	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		const struct dp_port *port = &fixture.dp->ports[role];
		const struct rte_eth_dev_tx_buffer *b;

		if (!port->present)
			continue;
		b = w->tx[port->eth_port];
		for (uint16_t i = 0; i < b->length; i++) {
			struct rte_mbuf *m = b->pkts[i];
			const struct rte_ether_hdr *eth =
				rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

			check_tx_frame(port, m, honest);
			if (role == CONFIG_PORT_EGRESS &&
			    (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
			     eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6))) {
				last_out.len = RTE_MIN(rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN,
						       (uint32_t)REPLY_HEADERS_MAX);
				memcpy(last_out.ip, eth + 1, last_out.len);
			}
		}
	}
}

/* One RX burst as worker_main runs it; then what it sent is checked and goes out (a worker
 * drains its TX buffers on a timer instead: only when, not what, differs). */
/* Checksums of a rewritten packet: the IPv4 header's, and the transport's when the IP length
 * fits the frame (else the packet is broken anyway). */
static void
reply_checksums(uint8_t *ip, uint32_t avail, uint32_t hlen)
{
	uint8_t proto = (ip[0] >> 4) == 4 ? ip[9] : ip[6];
	uint32_t total = (ip[0] >> 4) == 4 ? (uint32_t)(ip[2] << 8 | ip[3])
					   : 40u + (uint32_t)(ip[4] << 8 | ip[5]);
	uint8_t *l4 = ip + hlen;
	uint32_t at;
	uint16_t sum;

	if ((ip[0] >> 4) == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	}
	if (total > avail || total < hlen)
		return;
	switch (proto) {
	case IPPROTO_UDP:
		at = 6;
		break;
	case IPPROTO_TCP:
		at = 16;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		at = 2;
		break;
	default:
		return;
	}
	if (total - hlen < at + 2)
		return;
	memset(l4 + at, 0, 2);
	if (proto == IPPROTO_ICMP)
		sum = (uint16_t)~rte_raw_cksum(l4, total - hlen);
	else if ((ip[0] >> 4) == 4)
		sum = rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)ip, l4);
	else
		sum = rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)ip, l4);
	memcpy(l4 + at, &sum, 2);
}

/*
 * Make a frame answer the last packet the egress port sent: addressed to the egress port, its
 * IP addresses swapped and, for the same transport, its ports (or the echo identifier), with
 * checksums made right; the rest (protocol, flags, lengths, payload) stays the input's. The
 * NAT picks its ports at random, so return traffic that meets its session could not come from
 * the input alone.
 */
static void
reply_rewrite(struct rte_mbuf *m)
{
	const struct dp_port *egress = &fixture.dp->ports[CONFIG_PORT_EGRESS];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t avail = rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN;
	uint8_t *ip = (uint8_t *)(eth + 1);
	const uint8_t *out = last_out.ip, *out_l4;
	uint32_t hlen, out_hlen, alen = (out[0] >> 4) == 4 ? 4 : 16;
	uint8_t proto, out_proto;

	if (last_out.len == 0 || m->nb_segs != 1 || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN ||
	    avail < 1 || ip[0] >> 4 != out[0] >> 4)
		return;
	if (alen == 4) {
		hlen = (ip[0] & 0x0f) * 4u;
		out_hlen = (out[0] & 0x0f) * 4u;
		if (hlen < 20 || hlen > avail)
			return;
		proto = ip[9];
		out_proto = out[9];
		memcpy(ip + 12, out + 16, 4);
		memcpy(ip + 16, out + 12, 4);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	} else {
		hlen = out_hlen = 40;
		if (avail < hlen)
			return;
		proto = ip[6];
		out_proto = out[6];
		memcpy(ip + 8, out + 24, 16);
		memcpy(ip + 24, out + 8, 16);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	}
	rte_ether_addr_copy(&egress->mac, &eth->dst_addr);
	out_l4 = out + out_hlen;
	if (proto == out_proto && out_hlen + 8 <= last_out.len && hlen + 8 <= avail) {
		uint8_t *l4 = ip + hlen;

		if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
			memcpy(l4, out_l4 + 2, 2);
			memcpy(l4 + 2, out_l4, 2);
		} else if ((proto == IPPROTO_ICMP && out_l4[0] == RTE_IP_ICMP_ECHO_REQUEST) ||
			   (proto == IPPROTO_ICMPV6 && out_l4[0] == 128)) {
			memcpy(l4 + 4, out_l4 + 4, 2);
		}
	}
	reply_checksums(ip, avail, hlen);
}

static void
burst_deliver(const struct rx_source *src, struct rte_mbuf **pkts, uint16_t *n, bool honest)
{
	struct worker *w = fixture.w;

	if (*n == 0)
		return;
	l2_input_burst(w, src, pkts, *n);
	wg_data_flush(w);
	tx_check(honest);
	dp_fixture_tx_flush(w);
	*n = 0;
}

/* ---- one input ---- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker *w = fixture.w;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	const struct rx_source *src = NULL;
	uint64_t offset_ns = 0;
	uint16_t n = 0;
	bool honest = true;

	w->now_ns = dp_now_ns();
	last_out.len = 0;
	while (size >= RECORD_HEADER) {
		uint8_t control = data[0];
		uint16_t len = (uint16_t)(data[1] << 8 | data[2]);
		const struct rx_source *to =
			dp_fixture_source(w, record_roles[control & RC_PORT_MASK]);
		unsigned int claim = (control >> RC_CKSUM_SHIFT) & RC_CKSUM_MASK;
		unsigned int steps = (control >> RC_TIME_SHIFT) & RC_TIME_MASK;
		struct rte_mbuf *m;

		data += RECORD_HEADER;
		size -= RECORD_HEADER;
		if (len > size)
			len = (uint16_t)size;
		if (to != src || steps != 0)
			burst_deliver(src, pkts, &n, honest);
		src = to;
		if (steps != 0) {
			offset_ns += steps * time_step_ns;
			w->now_ns = dp_now_ns() + offset_ns;
		}
		honest &= claim != CLAIM_GOOD;
		m = frame_mbuf(data, len, src->eth_port, rx_flags(claim));
		data += len;
		size -= len;
		if (m == NULL)
			continue;
		if ((control & RC_PORT_MASK) == RP_EGRESS_REPLY)
			reply_rewrite(m);
		pkts[n++] = m;
		if ((control & RC_BURST_END) != 0 || n == fixture.dp->burst)
			burst_deliver(src, pkts, &n, honest);
	}
	burst_deliver(src, pkts, &n, honest);
	/* the rest of the worker's loop iteration */
	exit_poll(w);
	wg_data_flush(w);
	check(w->rx_count == 0 && w->tx_count == 0);
	tx_check(honest);
	dp_fixture_tx_flush(w);
	up_rings_drain();
	check(rte_ring_count(w->down) == 0 && rte_ring_count(w->nat_ring) == 0);
	/* a fresh start for the next input; then every mbuf must be home */
	exit_state_reset();
	keypairs_publish();
	memset(next_counter, 0, sizeof(next_counter));
	check(rte_mempool_avail_count(fixture.dp->pool) == pool_baseline);
	return 0;
}
