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
 * loop for one RX source (bench_round_process: l2_input_burst + wg_data_flush per burst of
 * config.dataplane.burst, the RCU quiescent state per burst), and the TX buffers flushed at the
 * end of the round; only that is timed. The round helpers are bench_dp.h's, shared with
 * bench_exit.
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
 * the four measurements of a size interleaved segment by segment; rounds during which the thread
 * lost its CPU to another process are left out of a segment's time (struct bench_tally). Sizes
 * are inner IP packet bytes (the AEAD plaintext); Gbit/s counts those bytes.
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

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "bench_dp.h"
#include "bench_util.h"
#include "l3.h"
#include "log.h"
#include "transport.h"
#include "wg_data.h"
#include "worker.h"

enum {
	ROUND_MAX = BENCH_DP_ROUND_MAX,
	REGIMES_MAX = 2,
	INNER_SPORT = 40000,
	INNER_DPORT = 5201,
};

enum path {
	PATH_ENCRYPT,
	PATH_DECRYPT,
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
	double seconds;

	struct bench_peer peer;

	struct bench_frame encrypt_in, decrypt_in;
	uint32_t round; /* of the regime being measured */
	uint32_t rounds[REGIMES_MAX];
	unsigned int regime_count;
	struct rte_mbuf *pkts[ROUND_MAX];
	struct wg_transport_op ops[ROUND_MAX];
	struct figures figures[REGIMES_MAX][BENCH_SIZE_COUNT];
	struct {
		uint64_t in, through, out, dropped;
	} checked[2]; /* what the checks counted per path, over the run */
};

/* ---- frames ---- */

/* The frame each path receives: for the encrypt path a plaintext packet from a LAN host on the
 * inner port; for the decrypt path the peer's datagram with its message still in plaintext
 * (bench_round_seal seals it in each mbuf, with the round's counters). */
static void
frames_build(struct bench *b, uint32_t size)
{
	const struct dp_port *inner = &b->dp->ports[CONFIG_PORT_INNER];
	uint8_t *packet;

	memset(&b->encrypt_in, 0, sizeof(b->encrypt_in));
	bench_ether_write(b->encrypt_in.bytes, &inner->mac, &dp_fixture_lan_mac);
	bench_udp_packet_write(b->encrypt_in.bytes + L2_HLEN, size, dp_fixture_lan_ip,
			       dp_fixture_tunnel_ip, INNER_SPORT, INNER_DPORT);
	b->encrypt_in.len = L2_HLEN + size;

	packet = bench_wg_frame_write(&b->decrypt_in, b->dp, size);
	bench_udp_packet_write(packet, size, dp_fixture_tunnel_ip, dp_fixture_lan_ip, INNER_SPORT,
			       INNER_DPORT);
}

/* ---- one segment ---- */

/* Every packet took the path and left the right port; nothing dropped. */
static int
segment_check(struct bench *b, enum path path, const struct worker_counters *before,
	      uint64_t out_before, uint16_t out_port, uint64_t packets)
{
	const struct worker_counters *c = &b->w->counters;
	enum worker_counter done = path == PATH_ENCRYPT ? WC_wg_tx_data : WC_wg_rx_data;
	uint64_t drops = bench_drops_since("bench_dataplane", before, c);
	uint64_t out = bench_port_opackets(out_port) - out_before;

	b->checked[path].in += packets;
	b->checked[path].through += c->value[done] - before->value[done];
	b->checked[path].out += out;
	b->checked[path].dropped += drops;
	if (drops != 0 || c->value[done] - before->value[done] != packets || out != packets) {
		log_error("bench_dataplane: %s: %" PRIu64 " packets in, %" PRIu64 " through the "
			  "path, %" PRIu64 " out, %" PRIu64 " dropped",
			  path == PATH_ENCRYPT ? "encrypt" : "decrypt", packets,
			  c->value[done] - before->value[done], out, drops);
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
	bool encrypt = path == PATH_ENCRYPT;
	enum config_port_role in_role = encrypt ? CONFIG_PORT_INNER : CONFIG_PORT_PUBLIC;
	enum config_port_role out_role = encrypt ? CONFIG_PORT_PUBLIC : CONFIG_PORT_INNER;
	const struct rx_source *src = dp_fixture_source(b->w, in_role);
	uint16_t out_port = dp->ports[out_role].eth_port;
	struct worker_counters before = b->w->counters;
	uint64_t out_before = bench_port_opackets(out_port);
	struct bench_tally tally = {0};

	do {
		uint64_t mark = bench_tally_mark(), alloc, processing;

		alloc = bench_round_alloc(dp, b->pkts, b->round);
		if (path == PATH_ENCRYPT) {
			bench_round_fill(b->pkts, b->round, &b->encrypt_in, src->eth_port);
		} else {
			bench_round_fill(b->pkts, b->round, &b->decrypt_in, src->eth_port);
			bench_round_seal(b->dp, &b->peer, b->pkts, b->round, size, b->ops);
		}
		processing = bench_round_process(b->w, src, b->pkts, b->round);
		bench_tally_add(&tally, mark, alloc, processing, b->round);
	} while (!bench_tally_done(&tally, segment_ns));
	if (segment_check(b, path, &before, out_before, out_port, tally.all_packets) != 0)
		return -1;
	*ns = bench_tally_ns(&tally, alloc_ns);
	return 0;
}

/* One segment of raw transport AEAD (bench_aead_segment): ns per packet. */
static int
segment_aead(struct bench *b, bool seal, uint32_t size, uint64_t segment_ns, double *ns)
{
	return bench_aead_segment(b->w, &b->peer, b->pkts, b->round,
				  seal ? &b->encrypt_in : &b->decrypt_in, seal, size, b->ops,
				  segment_ns, ns);
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

	if (bench_peer_keypair_fresh(b->dp, &b->peer) != 0)
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
	int status = 0;

	rte_rcu_qsbr_thread_online(b->dp->rcu, b->w->index);
	for (unsigned int r = 0; r < b->regime_count && status == 0; r++) {
		b->round = b->rounds[r];
		for (int s = 0; s < BENCH_SIZE_COUNT && status == 0; s++)
			status = measure_size(b, r, s);
	}
	bench_peer_release(b->dp, &b->peer);
	rte_rcu_qsbr_thread_offline(b->dp->rcu, b->w->index);
	return status;
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
print_figures(const struct bench *b, int cpus, int main_cpu, int worker_cpu)
{
	printf("Data plane per worker core: real path (l2_input_burst + wg_data_flush, "
	       "net_null ports), median of %d segments, %.2g s per figure\n",
	       BENCH_REPS, b->seconds);
	bench_dp_print_setup(b->w, cpus, worker_cpu, main_cpu);
	printf("bytes: inner IP packet (AEAD plaintext), Gbit/s of those bytes; ns/pkt includes "
	       "mbuf alloc (column alloc) and free;\nround: packets per round (256: mbufs recycled "
	       "through the lcore cache, L2; 1024: an RX ring's worth, L3/DRAM);\n"
	       "AEAD: raw ipsec-mb transport seal (encrypt) or open (decrypt), same core, sizes "
	       "and memory; ratio = AEAD ns / data plane ns\n");
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

/* The counts the checks rest on, warm-ups included; the run stops at the first segment where
 * one differs from the packets sent in or anything is dropped. */
static void
print_checks(const struct bench *b)
{
	printf("checked: encrypt %" PRIu64 " in, %" PRIu64 " sealed, %" PRIu64 " out of the "
	       "public port, %" PRIu64 " dropped; decrypt %" PRIu64 " in, %" PRIu64 " opened, "
	       "%" PRIu64 " out of the inner port, %" PRIu64 " dropped\n",
	       b->checked[PATH_ENCRYPT].in, b->checked[PATH_ENCRYPT].through,
	       b->checked[PATH_ENCRYPT].out, b->checked[PATH_ENCRYPT].dropped,
	       b->checked[PATH_DECRYPT].in, b->checked[PATH_DECRYPT].through,
	       b->checked[PATH_DECRYPT].out, b->checked[PATH_DECRYPT].dropped);
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
	/* before EAL pins this thread to the main lcore's CPU */
	int worker_cpu = bench_default_core(), cpus = bench_cpu_count(), main_cpu;
	struct dp_fixture_options fixture = {.name = "bench_dataplane", .eal_memory_mb = 512};
	char lcores[64];
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
	if (optind != argc || !bench_round_ok(b->rounds[0])) {
		usage(stderr);
		return 2;
	}
	/* the main lcore only waits: any other CPU, or the same one on a single-CPU machine */
	main_cpu = bench_main_core(worker_cpu);
	if (sodium_init() < 0)
		return 1;
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", main_cpu, worker_cpu);
	fixture.lcores = lcores;
	if (dp_fixture_start(&b->fixture, &fixture, argv[0]) != 0)
		goto out;
	b->dp = b->fixture.dp;
	b->w = b->fixture.w;
	if (bench_peer_init(&b->peer, b->fixture.peer) != 0)
		goto out;
	if (bench_dp_run(b->w->lcore, bench_lcore, b) != 0)
		goto out;
	print_figures(b, cpus, main_cpu, worker_cpu);
	print_checks(b);
	bench_dp_print_disturbed();
	rc = 0;
out:
	bench_peer_fini(b->dp, &b->peer);
	dp_fixture_stop(&b->fixture);
	return rc;
}
