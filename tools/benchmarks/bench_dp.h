/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the data plane benchmarks (bench_dataplane, bench_exit) add to dp_fixture.h's data plane
 * to measure it: the peer's side of the tunnel (the keys of a current keypair, sealing what the
 * peer sends), the frames a peer or a host sends, rounds of them through the body of
 * worker_main's loop, tallies that leave out rounds during which the thread was preempted, and
 * what a segment's checks read. Everything per packet is the data plane's own code; the set-up
 * is dp_fixture's, shared with the data plane fuzz target.
 */
#ifndef EXITGATE_BENCH_DP_H
#define EXITGATE_BENCH_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_fixture.h"
#include "l3.h"
#include "transport.h"
#include "wg_data.h"
#include "worker.h"

enum {
	BENCH_DP_ROUND_MAX = 8192, /* frames prepared, then processed, per round */
	BENCH_DP_FRAME_MAX = 1600,
	/* Ethernet, IPv4 and UDP in front of a WireGuard message */
	BENCH_DP_OUTER_HLEN = L2_HLEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr),
};

/* A --round the benchmarks accept: whole bursts of 32 (rounds are processed burst by burst), at
 * most BENCH_DP_ROUND_MAX. */
static inline bool
bench_round_ok(uint32_t round)
{
	return round >= 32 && round <= BENCH_DP_ROUND_MAX && round % 32 == 0;
}

/* A frame as it arrives on a port. */
struct bench_frame {
	uint8_t bytes[BENCH_DP_FRAME_MAX];
	uint32_t len;
};

/* The fixture's peer as the benchmarks play it: the keys both sides use and the peer's own
 * ipsec-mb manager, which seals what the peer sends. */
struct bench_peer {
	struct dp_peer *peer; /* the fixture's */
	struct dp_keypair *kp;
	uint8_t send_key[WG_KEY_LEN];    /* ours: what the data plane seals with */
	uint8_t receive_key[WG_KEY_LEN]; /* the peer's send key: what the data plane opens */
	uint32_t local_index;
	uint32_t remote_index;
	uint64_t counter; /* of the next message "from the peer" */
	uint64_t seal_counter; /* of the raw seals bench_aead_segment makes */
	struct wg_transport_ctx crypto;
};

/* The peer's side of a fixture's peer: 0 or -1 after logging why. */
int bench_peer_init(struct bench_peer *p, struct dp_peer *peer);
/* A new current keypair (fresh window and counters, far from the rekey age): 0 or -1.
 * Retires the previous one and reclaims what the workers no longer see. */
int bench_peer_keypair_fresh(struct dataplane *dp, struct bench_peer *p);
/* Retire the keypair and wipe the keys (before its data plane goes). */
void bench_peer_release(struct dataplane *dp, struct bench_peer *p);
/* bench_peer_release, and the peer's ipsec-mb manager freed. */
void bench_peer_fini(struct dataplane *dp, struct bench_peer *p);

/* Run fn(arg) on a worker lcore, waiting without spinning (the main lcore's CPU may be the
 * only other one): fn's result, or -1 when it could not be launched. */
int bench_dp_run(unsigned int lcore, int (*fn)(void *arg), void *arg);
/* The lines every data plane benchmark prints above its figures: the machine (cpus: those the
 * process had before EAL pinned it), the cores, the libraries and the burst. */
void bench_dp_print_setup(const struct worker *w, int cpus, int worker_cpu, int main_cpu);

/* Headers and packets, in network order at p. */
void bench_ether_write(uint8_t *p, const struct rte_ether_addr *dst,
		       const struct rte_ether_addr *src);
void bench_ipv4_udp_write(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
			  uint16_t dport, uint16_t payload_len);
/* An IPv4/UDP packet of size bytes in all. */
void bench_udp_packet_write(uint8_t *p, uint32_t size, const uint8_t src[4], const uint8_t dst[4],
			    uint16_t sport, uint16_t dport);
/* The peer's datagram from its endpoint to the listen port of the public port, carrying an inner
 * packet of size bytes, its message still in plaintext: bench_round_seal seals it in each mbuf.
 * Returns where the inner packet goes. */
uint8_t *bench_wg_frame_write(struct bench_frame *f, const struct dataplane *dp, uint32_t size);

/* Allocate n mbufs in bursts of the data plane's burst, as an RX refill would: ns it took. */
uint64_t bench_round_alloc(struct dataplane *dp, struct rte_mbuf **pkts, uint32_t n);
/* Copy a frame into each mbuf, as a NIC's DMA would. */
void bench_round_fill(struct rte_mbuf **pkts, uint32_t n, const struct bench_frame *f,
		      uint16_t eth_port);
/* The peer seals the messages of n frames (bench_wg_frame_write) with its counters in order;
 * ops: scratch of n entries. Exits on failure. */
void bench_round_seal(const struct dataplane *dp, struct bench_peer *p, struct rte_mbuf **pkts,
		      uint32_t n, uint32_t size, struct wg_transport_op *ops);
/* One turn of worker_main's loop body: the clock, a burst that arrived on src (none when n is
 * 0) through l2_input_burst and wg_data_flush, exit_poll (what other workers handed over, NAT
 * expiry) and its flush, the RCU quiescent state. The TX buffers are left as they are. */
void bench_worker_turn(struct worker *w, const struct rx_source *src, struct rte_mbuf **pkts,
		       uint16_t n);
/*
 * The timed part: bench_worker_turn for each burst of a round fed to one RX source, then the TX
 * buffers flushed. Returns the ns it took. Kept out of line so that a
 * profiler can name it (valgrind --tool=callgrind --toggle-collect=bench_round_process).
 */
uint64_t bench_round_process(struct worker *w, const struct rx_source *src,
			     struct rte_mbuf **pkts, uint32_t n);

/*
 * Raw transport AEAD through w's own ipsec-mb manager (wg_transport_seal_burst /
 * wg_transport_open_burst in bursts of WG_TRANSPORT_BURST_MAX) on rounds of n frames f of the
 * data plane's pool, allocated and filled as the data plane's rounds are, each message where
 * the data plane has it: open, the peer's datagram (bench_wg_frame_write, sealed by
 * bench_round_seal) after its outer headers; seal, an IP packet of size bytes in an Ethernet
 * frame, whose Ethernet header is replaced by the WireGuard header as wg_data_send does. So the
 * data plane and its crypto see the same memory. Rounds until segment_ns of undisturbed ones
 * (struct bench_tally); ns per packet into *ns. 0, or -1 after logging when a message failed.
 * pkts and ops: scratch of n entries.
 */
int bench_aead_segment(struct worker *w, struct bench_peer *p, struct rte_mbuf **pkts, uint32_t n,
		       const struct bench_frame *f, bool seal, uint32_t size,
		       struct wg_transport_op *ops, uint64_t segment_ns, double *ns);

/*
 * The time of a segment's rounds. The machine is shared: a round during which the benchmark
 * thread was preempted (bench_preemptions changed) measured another process too, so it is left
 * out of the figure (its packets still count for the checks); a segment lasts until its
 * undisturbed rounds add up to the segment's time. Only when no round of a segment ran
 * undisturbed (after 8 times the segment's time) does the segment use every round, and the count
 * of such segments is printed (bench_dp_print_disturbed).
 */
struct bench_tally {
	uint64_t ns, alloc_ns, packets;             /* undisturbed rounds */
	uint64_t all_ns, all_alloc_ns, all_packets; /* every round */
};

/* Before a round: the mark bench_tally_add compares with. */
uint64_t bench_tally_mark(void);
void bench_tally_add(struct bench_tally *t, uint64_t mark, uint64_t alloc_ns, uint64_t ns,
		     uint32_t packets);
/* Has the segment run long enough (segment_ns of undisturbed rounds, at least one round)? */
bool bench_tally_done(const struct bench_tally *t, uint64_t segment_ns);
/* ns per packet (all of it, and the allocation part) of a finished segment. */
double bench_tally_ns(const struct bench_tally *t, double *alloc_ns);
/* A line saying how many rounds were left out as disturbed, and how many segments had to use
 * disturbed rounds. */
void bench_dp_print_disturbed(void);

/* Packets sent out of an ethdev so far. */
uint64_t bench_port_opackets(uint16_t eth_port);
/* Drops since before (each reason logged): their number. */
uint64_t bench_drops_since(const char *program, const struct worker_counters *before,
			   const struct worker_counters *now);

#endif
