/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_dataplane: the data plane per worker core, through its real per-packet code.
 *
 * Set-up, as exitgated does it (dp_fixture.h: a public port and an inner port, both net_null
 * vdevs, one worker; EAL with --no-huge, --no-pci, --no-shconf, the main lcore and one worker
 * lcore pinned to their CPUs; a peer with its endpoint, allowed IPs and neighbours); then a
 * keypair made current (dp_keypair_add, dp_peer_set_current).
 *
 * Measurement, on the worker lcore (one pinned core), with that worker's struct: rounds of
 * prepared frames (two sizes of round, see regime_rounds) go through the body of worker_main's
 * loop for one RX source, l2_input_burst + wg_data_flush per burst of config.dataplane.burst,
 * the RCU quiescent state per burst, and the TX buffers flushed at the end of the round; only
 * that is timed.
 *  - encrypt path: plaintext IPv4/UDP packets in Ethernet frames arrive on the inner port, are
 *    routed by allowed-IPs, sealed, framed in UDP/IPv4/Ethernet and sent out of the public port;
 *  - decrypt path: WireGuard type-4 frames from the peer's endpoint (valid, counters increasing
 *    so the replay window accepts every one) arrive on the public port, are opened, checked
 *    against allowed-IPs and sent out of the inner port.
 * Mbuf recycling stays in the figures: net_null's TX frees every mbuf (inside the timed region),
 * and the allocation a NIC driver's RX refill would do is timed separately (rte_pktmbuf_alloc_bulk
 * in bursts, before the frames are written) and added to ns/pkt; the "alloc" column shows it.
 * Not included: what a real NIC's RX/TX descriptor handling costs (net_null has none), and the
 * copy of the prepared frame into the mbuf (a NIC's DMA does that).
 *
 * In the same run, on the same core, with the worker's own ipsec-mb manager: raw transport AEAD
 * on the same inner sizes and buffers at the same offsets (wg_transport_seal_burst /
 * wg_transport_open_burst in bursts of 32); ratio = raw AEAD ns / data plane ns (1.0 would mean
 * the data plane adds nothing to the crypto). Each figure is the median of BENCH_REPS segments,
 * the four measurements of a size interleaved segment by segment. Sizes are inner IP packet
 * bytes (the AEAD plaintext); Gbit/s counts those bytes.
 *
 * Every segment checks the worker's counters and the output port's: each packet must have taken
 * the path and left the port, no drop anywhere, else the program fails (the figures would be
 * meaningless). Timing never makes it fail.
 *
 *   bench_dataplane [--seconds S] [--core N] [--round P]
 *   S: time per figure (default 1); N: worker CPU; P: only rounds of P packets
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_udp.h>
#include <rte_version.h>
#include <sodium.h>

#include "bench_util.h"
#include "dp_fixture.h"
#include "l2.h"
#include "l3.h"
#include "log.h"
#include "transport.h"
#include "wg_data.h"
#include "worker.h"

enum {
	ROUND_MAX = 8192, /* frames prepared, then processed, per round */
	REGIMES_MAX = 2,
	INNER_SPORT = 40000,
	INNER_DPORT = 5201,
	FRAME_MAX = 1600,
};

enum path {
	PATH_ENCRYPT,
	PATH_DECRYPT,
};

struct frame {
	uint8_t bytes[FRAME_MAX];
	uint32_t len;
};

struct figures {
	double encrypt_ns, encrypt_alloc_ns, seal_ns;
	double decrypt_ns, decrypt_alloc_ns, open_ns;
};

/*
 * How many frames a round prepares decides where the worker finds its mbufs and packet data,
 * so the figures come in two memory regimes (the raw AEAD runs in the same one):
 *  - 256, the packet pool's per-lcore cache: every mbuf comes back through that LIFO cache,
 *    headers and data stay in L2 (the best case);
 *  - 1024, an RX ring of the default rx_descriptors: the cache overflows, mbufs also cycle
 *    through the pool's ring, so their headers come from L3 or DRAM (the "alloc" column shows
 *    it) and the data of a round is L3-resident, as after a NIC's DMA into a full ring.
 */
static const uint32_t regime_rounds[REGIMES_MAX] = {256, 1024};

struct bench {
	struct dp_fixture fixture;
	struct dataplane *dp;
	struct worker *w;
	uint32_t mtu;
	double seconds;

	struct dp_peer *peer;
	struct dp_keypair *kp;
	uint8_t send_key[WG_KEY_LEN];    /* ours: what the encrypt path seals with */
	uint8_t receive_key[WG_KEY_LEN]; /* the peer's send key: what the decrypt path opens */
	uint32_t local_index;
	uint32_t remote_index;
	uint64_t peer_counter; /* next counter of a message "from the peer" */
	uint64_t aead_counter;
	struct wg_transport_ctx peer_crypto; /* plays the peer: seals the decrypt path's input */

	struct frame encrypt_in, decrypt_in;
	uint32_t round; /* of the regime being measured */
	uint32_t rounds[REGIMES_MAX];
	unsigned int regime_count;
	struct rte_mbuf *pkts[ROUND_MAX];
	struct wg_transport_op ops[ROUND_MAX];
	struct figures figures[REGIMES_MAX][BENCH_SIZE_COUNT];
	volatile bool done;
	int status;
};

/* ---- frames ---- */

static void
ipv4_udp_write(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
	       uint16_t dport, uint16_t payload_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + payload_len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, src, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + payload_len));
	udp->dgram_cksum = 0;
}

static void
ether_write(uint8_t *p, const struct rte_ether_addr *dst, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
}

/* An inner IPv4/UDP packet of size bytes. */
static void
inner_write(uint8_t *p, uint32_t size, const uint8_t src[4], const uint8_t dst[4])
{
	uint32_t headers = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr);

	ipv4_udp_write(p, src, dst, INNER_SPORT, INNER_DPORT, (uint16_t)(size - headers));
	for (uint32_t i = headers; i < size; i++)
		p[i] = (uint8_t)i;
}

enum {
	OUTER_HLEN = L2_HLEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr),
};

/* The frame each path receives: for the encrypt path a plaintext packet from a LAN host on the
 * inner port; for the decrypt path the peer's datagram with its message still in plaintext
 * (round_seal_as_peer seals it in each mbuf, with the round's counters). */
static void
frames_build(struct bench *b, uint32_t size)
{
	const struct dp_port *pub = &b->dp->ports[CONFIG_PORT_PUBLIC];
	const struct dp_port *inner = &b->dp->ports[CONFIG_PORT_INNER];
	uint32_t msg_len = (uint32_t)wg_transport_message_len(size, b->mtu);
	uint8_t *p;

	memset(&b->encrypt_in, 0, sizeof(b->encrypt_in));
	ether_write(b->encrypt_in.bytes, &inner->mac, &dp_fixture_lan_mac);
	inner_write(b->encrypt_in.bytes + L2_HLEN, size, dp_fixture_lan_ip, dp_fixture_tunnel_ip);
	b->encrypt_in.len = L2_HLEN + size;

	memset(&b->decrypt_in, 0, sizeof(b->decrypt_in));
	p = b->decrypt_in.bytes;
	ether_write(p, &pub->mac, &dp_fixture_peer_mac);
	ipv4_udp_write(p + L2_HLEN, dp_fixture_peer_ip, dp_fixture_public_ip, DP_FIXTURE_PEER_PORT,
		       DP_FIXTURE_LISTEN_PORT, (uint16_t)msg_len);
	inner_write(p + OUTER_HLEN + WG_MSG_TRANSPORT_HEADER_LEN, size, dp_fixture_tunnel_ip,
		    dp_fixture_lan_ip);
	b->decrypt_in.len = OUTER_HLEN + msg_len;
}

/* ---- keys ---- */

/* A new current keypair (fresh window and counters, far from the 120 s rekey age). */
static int
keypair_fresh(struct bench *b)
{
	struct dataplane *dp = b->dp;

	if (b->kp != NULL)
		dp_keypair_remove(dp, b->kp);
	dataplane_reclaim(dp);
	randombytes_buf(b->send_key, sizeof(b->send_key));
	randombytes_buf(b->receive_key, sizeof(b->receive_key));
	b->local_index++;
	b->remote_index = randombytes_random();
	b->kp = dp_keypair_add(dp, b->peer, b->send_key, b->receive_key, b->local_index,
			       b->remote_index, true, dp_now_ns());
	if (b->kp == NULL) {
		log_error("bench_dataplane: dp_keypair_add failed");
		return -1;
	}
	dp_peer_set_current(b->peer, b->kp);
	b->peer_counter = 0;
	return 0;
}

/* ---- one round ---- */

/* Allocate a round of mbufs in bursts, as an RX refill would; returns the ns it took. */
static uint64_t
round_alloc(struct bench *b)
{
	uint32_t burst = b->dp->burst;
	uint64_t t0 = bench_now_ns();

	for (uint32_t i = 0; i < b->round; i += burst)
		if (rte_pktmbuf_alloc_bulk(b->dp->pool, &b->pkts[i], burst) != 0) {
			log_error("bench_dataplane: packet pool empty");
			exit(1);
		}
	return bench_now_ns() - t0;
}

static void
round_fill(struct bench *b, const struct frame *f, uint16_t eth_port)
{
	for (uint32_t i = 0; i < b->round; i++) {
		struct rte_mbuf *m = b->pkts[i];

		rte_memcpy(rte_pktmbuf_mtod(m, void *), f->bytes, f->len);
		m->data_len = (uint16_t)f->len;
		m->pkt_len = f->len;
		m->port = eth_port;
	}
}

/* The peer seals the decrypt path's frames: valid tags, counters in order. */
static void
round_seal_as_peer(struct bench *b, uint32_t size)
{
	for (uint32_t i = 0; i < b->round; i++)
		b->ops[i] = (struct wg_transport_op){
			.key = b->receive_key,
			.msg = rte_pktmbuf_mtod_offset(b->pkts[i], uint8_t *, OUTER_HLEN),
			.payload_len = size,
			.receiver = b->local_index,
			.counter = b->peer_counter++,
		};
	if (wg_transport_seal_burst(&b->peer_crypto, b->ops, b->round, b->mtu) != b->round) {
		log_error("bench_dataplane: sealing the peer's frames failed");
		exit(1);
	}
}

/* The timed part: worker_main's loop body for one RX source, fed the prepared round. Kept out of
 * line so that a profiler can name it (valgrind --tool=callgrind --toggle-collect=round_process). */
static __attribute__((noinline)) uint64_t
round_process(struct bench *b, const struct rx_source *src)
{
	struct worker *w = b->w;
	struct dataplane *dp = b->dp;
	uint16_t burst = (uint16_t)dp->burst;
	uint64_t t0 = bench_now_ns();

	for (uint32_t i = 0; i < b->round; i += burst) {
		w->now_ns = dp_now_ns();
		l2_input_burst(w, src, &b->pkts[i], burst);
		wg_data_flush(w);
		rte_rcu_qsbr_quiescent(dp->rcu, w->index);
	}
	dp_fixture_tx_flush(w);
	return bench_now_ns() - t0;
}

/* Every packet took the path and left the right port; nothing dropped. */
static int
segment_check(struct bench *b, enum path path, const struct worker_counters *before,
	      uint64_t out_before, uint16_t out_port, uint64_t packets)
{
	const struct worker_counters *c = &b->w->counters;
	enum worker_counter done = path == PATH_ENCRYPT ? WC_wg_tx_data : WC_wg_rx_data;
	struct rte_eth_stats stats;
	uint64_t drops = 0;

	for (int d = 0; d < DROP_REASON_COUNT; d++) {
		uint64_t n = c->drop[d] - before->drop[d];

		if (n != 0)
			log_error("bench_dataplane: %" PRIu64 " dropped: %s", n,
				  drop_reason_name((enum drop_reason)d));
		drops += n;
	}
	rte_eth_stats_get(out_port, &stats);
	if (drops != 0 || c->value[done] - before->value[done] != packets ||
	    stats.opackets - out_before != packets) {
		log_error("bench_dataplane: %s: %" PRIu64 " packets in, %" PRIu64 " through the "
			  "path, %" PRIu64 " out, %" PRIu64 " dropped",
			  path == PATH_ENCRYPT ? "encrypt" : "decrypt", packets,
			  c->value[done] - before->value[done], stats.opackets - out_before, drops);
		return -1;
	}
	return 0;
}

/* One segment of the data plane on a path: ns per packet (processing + allocation). */
static int
segment_dataplane(struct bench *b, enum path path, uint32_t size, uint64_t segment_ns,
		  double *ns, double *alloc_ns)
{
	struct dataplane *dp = b->dp;
	enum config_port_role in_role = path == PATH_ENCRYPT ? CONFIG_PORT_INNER : CONFIG_PORT_PUBLIC;
	enum config_port_role out_role = path == PATH_ENCRYPT ? CONFIG_PORT_PUBLIC : CONFIG_PORT_INNER;
	const struct rx_source *src = dp_fixture_source(b->w, in_role);
	uint16_t out_port = dp->ports[out_role].eth_port;
	struct worker_counters before = b->w->counters;
	uint64_t processing = 0, alloc = 0, packets = 0;
	struct rte_eth_stats stats;

	rte_eth_stats_get(out_port, &stats);
	do {
		alloc += round_alloc(b);
		if (path == PATH_ENCRYPT) {
			round_fill(b, &b->encrypt_in, src->eth_port);
		} else {
			round_fill(b, &b->decrypt_in, src->eth_port);
			round_seal_as_peer(b, size);
		}
		processing += round_process(b, src);
		packets += b->round;
	} while (processing + alloc < segment_ns);
	if (segment_check(b, path, &before, stats.opackets, out_port, packets) != 0)
		return -1;
	*ns = (double)(processing + alloc) / (double)packets;
	*alloc_ns = (double)alloc / (double)packets;
	return 0;
}

/* Where a path's message lies in its mbuf: the decrypt path opens it after the outer headers;
 * the encrypt path seals it where wg_data_send puts it, the inner packet stripped of its
 * Ethernet header (rte_pktmbuf_adj) and the WireGuard header prepended. */
static uint8_t *
message_of(struct rte_mbuf *m, bool seal)
{
	if (!seal)
		return rte_pktmbuf_mtod_offset(m, uint8_t *, OUTER_HLEN);
	rte_pktmbuf_adj(m, L2_HLEN);
	return (uint8_t *)rte_pktmbuf_prepend(m, WG_MSG_TRANSPORT_HEADER_LEN);
}

/* One segment of raw transport AEAD through the worker's own ipsec-mb manager, on mbufs of the
 * same pool, allocated and filled as the data plane's rounds are, the message where the data
 * plane has it, so both see the same memory: ns per packet. */
static int
segment_aead(struct bench *b, bool seal, uint32_t size, uint64_t segment_ns, double *ns)
{
	struct wg_transport_ctx *ctx = &b->w->crypto;
	uint32_t padded = (uint32_t)wg_transport_padded_len(size, b->mtu);
	uint64_t timed = 0, packets = 0;

	do {
		unsigned ok = 0;
		uint64_t t0;

		round_alloc(b);
		round_fill(b, seal ? &b->encrypt_in : &b->decrypt_in, 0);
		if (!seal)
			round_seal_as_peer(b, size);
		for (uint32_t i = 0; i < b->round; i++)
			b->ops[i] = (struct wg_transport_op){
				.key = seal ? b->send_key : b->receive_key,
				.msg = message_of(b->pkts[i], seal),
				.payload_len = seal ? size : padded,
				.receiver = b->remote_index,
				.counter = seal ? b->aead_counter++ : b->ops[i].counter,
			};
		t0 = bench_now_ns();
		for (uint32_t i = 0; i < b->round; i += WG_TRANSPORT_BURST_MAX) {
			if (seal)
				ok += wg_transport_seal_burst(ctx, &b->ops[i],
							      WG_TRANSPORT_BURST_MAX, b->mtu);
			else
				ok += wg_transport_open_burst(ctx, &b->ops[i],
							      WG_TRANSPORT_BURST_MAX);
		}
		timed += bench_now_ns() - t0;
		packets += b->round;
		rte_pktmbuf_free_bulk(b->pkts, b->round);
		if (ok != b->round) {
			log_error("bench_dataplane: raw AEAD: %u of %u packets", ok, b->round);
			return -1;
		}
	} while (timed < segment_ns);
	*ns = (double)timed / (double)packets;
	return 0;
}

static int
measure_size(struct bench *b, unsigned int regime, int s)
{
	uint32_t size = bench_sizes[s];
	uint64_t segment_ns = (uint64_t)(b->seconds * 1e9 / BENCH_REPS);
	double enc[BENCH_REPS], enc_alloc[BENCH_REPS], seal[BENCH_REPS];
	double dec[BENCH_REPS], dec_alloc[BENCH_REPS], open[BENCH_REPS];
	struct figures *f = &b->figures[regime][s];
	double ignored[2];

	if (keypair_fresh(b) != 0)
		return -1;
	frames_build(b, size);
	/* warm-up: one round of each (caches, branch predictors, mempool cache) */
	if (segment_aead(b, true, size, 0, &ignored[0]) != 0 ||
	    segment_dataplane(b, PATH_ENCRYPT, size, 0, &ignored[0], &ignored[1]) != 0 ||
	    segment_aead(b, false, size, 0, &ignored[0]) != 0 ||
	    segment_dataplane(b, PATH_DECRYPT, size, 0, &ignored[0], &ignored[1]) != 0)
		return -1;
	for (int rep = 0; rep < BENCH_REPS; rep++) {
		if (segment_aead(b, true, size, segment_ns, &seal[rep]) != 0 ||
		    segment_dataplane(b, PATH_ENCRYPT, size, segment_ns, &enc[rep],
				      &enc_alloc[rep]) != 0 ||
		    segment_aead(b, false, size, segment_ns, &open[rep]) != 0 ||
		    segment_dataplane(b, PATH_DECRYPT, size, segment_ns, &dec[rep],
				      &dec_alloc[rep]) != 0)
			return -1;
	}
	f->seal_ns = bench_median(seal, BENCH_REPS);
	f->encrypt_ns = bench_median(enc, BENCH_REPS);
	f->encrypt_alloc_ns = bench_median(enc_alloc, BENCH_REPS);
	f->open_ns = bench_median(open, BENCH_REPS);
	f->decrypt_ns = bench_median(dec, BENCH_REPS);
	f->decrypt_alloc_ns = bench_median(dec_alloc, BENCH_REPS);
	return 0;
}

/* Runs on the worker's lcore: the worker's thread for the whole measurement. */
static int
bench_lcore(void *arg)
{
	struct bench *b = arg;

	rte_rcu_qsbr_thread_online(b->dp->rcu, b->w->index);
	b->status = 0;
	for (unsigned int r = 0; r < b->regime_count && b->status == 0; r++) {
		b->round = b->rounds[r];
		for (int s = 0; s < BENCH_SIZE_COUNT && b->status == 0; s++)
			b->status = measure_size(b, r, s);
	}
	if (b->kp != NULL) {
		dp_keypair_remove(b->dp, b->kp);
		b->kp = NULL;
	}
	rte_rcu_qsbr_thread_offline(b->dp->rcu, b->w->index);
	__atomic_store_n(&b->done, true, __ATOMIC_RELEASE);
	return b->status;
}

/* ---- set-up ---- */

static void
print_row(const char *path, uint32_t round, uint32_t size, double ns, double alloc_ns,
	  double aead_ns)
{
	printf("%-8s %5u %5u %8.1f %6.1f %7.2f %7.2f  %9.1f %9.2f %6.2f\n", path, round, size, ns,
	       alloc_ns, 1e3 / ns, size * 8 / ns, aead_ns, 1e3 / aead_ns, aead_ns / ns);
}

static void
print_figures(const struct bench *b, const char *cpu, int cpus, int main_cpu, int worker_cpu)
{
	printf("Data plane per worker core: real path (l2_input_burst + wg_data_flush, "
	       "net_null ports), median of %d segments, %.2g s per figure\n",
	       BENCH_REPS, b->seconds);
	printf("cpu: %s (%d CPUs); worker lcore %u on CPU %d, main lcore on CPU %d\n", cpu, cpus,
	       b->w->lcore, worker_cpu, main_cpu);
	printf("ipsec-mb %s (%s), %s, burst %u, 4 KiB pages (no hugepages)\n",
	       imb_get_version_str(), wg_transport_ctx_arch(&b->w->crypto), rte_version(),
	       b->dp->burst);
	printf("bytes: inner IP packet (AEAD plaintext), Gbit/s of those bytes; ns/pkt includes "
	       "mbuf alloc (column alloc) and free;\nround: packets per round (256: mbufs recycled "
	       "through the lcore cache, L2; 1024: an RX ring's worth, L3/DRAM);\n"
	       "AEAD: raw ipsec-mb transport seal (encrypt) or open (decrypt), same core, sizes and "
	       "memory; ratio = AEAD ns / data plane ns\n");
	printf("%-8s %5s %5s %8s %6s %7s %7s  %9s %9s %6s\n", "path", "round", "bytes", "ns/pkt",
	       "alloc", "Mpps", "Gbit/s", "AEAD ns", "AEAD Mpps", "ratio");
	for (unsigned int r = 0; r < b->regime_count; r++) {
		for (int s = 0; s < BENCH_SIZE_COUNT; s++) {
			const struct figures *f = &b->figures[r][s];

			print_row("encrypt", b->rounds[r], bench_sizes[s], f->encrypt_ns,
				  f->encrypt_alloc_ns, f->seal_ns);
			print_row("decrypt", b->rounds[r], bench_sizes[s], f->decrypt_ns,
				  f->decrypt_alloc_ns, f->open_ns);
		}
	}
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: bench_dataplane [--seconds S] [--core N] [--round P]\n"
		     "  The data plane's encrypt and decrypt paths on one worker core.\n"
		     "  --seconds S  time per figure (default 1)\n"
		     "  --core N     CPU of the worker lcore (default: the highest one allowed)\n"
		     "  --round P    only rounds of P packets, a multiple of 32 up to %d "
		     "(default: %u and %u)\n", ROUND_MAX, regime_rounds[0], regime_rounds[1]);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"seconds", required_argument, NULL, 's'},
		{"core", required_argument, NULL, 'c'},
		{"round", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct bench bench; /* large (two rounds of pointers and ops): not on the stack */
	struct bench *b = &bench;
	int worker_cpu = bench_default_core(), cpus = bench_cpu_count(), main_cpu;
	struct dp_fixture_options fixture = {.name = "bench_dataplane", .eal_memory_mb = 512};
	char cpu[128], lcores[64];
	int opt, rc = 1;

	log_set_program("bench_dataplane");
	b->seconds = 1;
	memcpy(b->rounds, regime_rounds, sizeof(regime_rounds));
	b->regime_count = REGIMES_MAX;
	while ((opt = getopt_long(argc, argv, "s:c:r:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			b->seconds = bench_parse_seconds(optarg);
			if (b->seconds < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'c':
			worker_cpu = atoi(optarg);
			break;
		case 'r':
			b->rounds[0] = (uint32_t)strtoul(optarg, NULL, 10);
			b->regime_count = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || b->rounds[0] < 32 || b->rounds[0] > ROUND_MAX ||
	    b->rounds[0] % 32 != 0) {
		usage(stderr);
		return 2;
	}
	/* the main lcore only waits: any other CPU, or the same one on a single-CPU machine */
	main_cpu = worker_cpu == 0 && cpus > 1 ? 1 : 0;
	if (sodium_init() < 0)
		return 1;
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", main_cpu, worker_cpu);
	fixture.lcores = lcores;
	if (dp_fixture_start(&b->fixture, &fixture, argv[0]) != 0)
		goto out;
	b->dp = b->fixture.dp;
	b->w = b->fixture.w;
	b->peer = b->fixture.peer;
	b->mtu = b->dp->wg->mtu;
	if (wg_transport_ctx_init(&b->peer_crypto) != 0) {
		log_error("bench_dataplane: set-up failed");
		goto out;
	}
	if (rte_eal_remote_launch(bench_lcore, b, b->w->lcore) != 0)
		goto out;
	/* wait without spinning: the main lcore's CPU may be the only other one */
	while (!__atomic_load_n(&b->done, __ATOMIC_ACQUIRE))
		usleep(10000);
	rte_eal_wait_lcore(b->w->lcore);
	if (b->status != 0)
		goto out;
	bench_cpu_model(cpu, sizeof(cpu));
	print_figures(b, cpu, cpus, main_cpu, worker_cpu);
	rc = 0;
out:
	if (b->peer_crypto.mgr != NULL)
		wg_transport_ctx_fini(&b->peer_crypto);
	dp_fixture_stop(&b->fixture);
	sodium_memzero(b->send_key, sizeof(b->send_key));
	sodium_memzero(b->receive_key, sizeof(b->receive_key));
	return rc;
}
