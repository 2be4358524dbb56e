/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_exit: the exit path per worker core (a peer's traffic to the internet and back), through
 * the data plane's real per-packet code, with many flows.
 *
 * Set-up (dp_fixture.h, as bench_dataplane, the data plane fuzz target and exitgated do it): a
 * data plane with a public, an inner and an egress port (net_null vdevs; egress 10.0.2.10/24 via
 * gateway 10.0.2.1, MTU 1500), exit enabled with masquerade (SESSIONS sessions, UDP timeout an
 * hour so that no session expires during the run), one worker; the peer (endpoint 10.0.1.2,
 * allowed IP 10.77.0.2) with a current keypair; the peer's and the gateway's MACs learnt.
 * Flows are UDP from the peer's tunnel address 10.77.0.2, source ports in the ephemeral range
 * (outside the masquerade range, as a client's are: every new session searches for a port), to
 * port 443 of 198.18.0.0/15 hosts, four flows per host.
 *
 * Measured on the worker lcore, through bench_round_process (worker_main's loop body: the burst
 * through l2_input_burst and wg_data_flush, exit_poll with its session expiry, the RCU quiescent
 * state), rounds of --round frames, each round cycling on through the flows:
 *  - outbound: the peer's WireGuard frames on the public port, decrypted, checked against
 *    allowed-IPs, TTL, NAT on an established session (created in a warm-up pass over every flow),
 *    out of the egress port to the gateway;
 *  - return: the remote hosts' replies on the egress port to the sessions' external ports: NAT
 *    inbound, encrypted to the peer, out of the public port. With one worker every session is
 *    that worker's own, so no return packet crosses to another worker;
 *  - setup: outbound where every packet is a new flow, so each creates its session (limits,
 *    port search, both indexes); the table starts empty and is replaced (untimed) after
 *    SETUP_FLOWS new flows.
 * Then (unless --no-handoff) a second data plane with two workers, where a flow's session lives
 * on the worker a hash of its inner 5-tuple names and return packets belong to the worker whose
 * slice of the masquerade ports they are addressed to. Both workers' loops run on the one
 * benchmark core, one after the other per burst (round_process_pair), so the figures are the
 * CPU each packet costs the pair, handoffs included (owner lookup, ring enqueue and dequeue, a
 * second loop touching the packet), not the cost of moving cache lines between two cores:
 *  - outbound-2w: the peer's frames arrive on worker 0; the flows of worker 1 (about half)
 *    cross to it over its nat_ring;
 *  - return-owned: replies to worker 0's sessions arriving on worker 0;
 *  - return-handoff: the same replies arriving on worker 1, which hands them to worker 0.
 *
 * As in bench_dataplane, each figure comes with raw transport AEAD in the same run, on the same
 * core, sizes and buffers (bench_aead_segment: open for outbound and setup, seal for return),
 * and ratio = AEAD ns / path ns: 1.0 would mean the exit path adds nothing to its crypto.
 * As in bench_dataplane: the mbuf allocation an RX refill would do is timed apart and added
 * (column alloc); net_null frees what is sent inside the timed region; sizes are inner IP packet
 * bytes (the packet the peer sent or receives through the tunnel) and Gbit/s counts those bytes;
 * each figure is the median of BENCH_REPS segments, outbound and return interleaved, rounds
 * during which the thread lost its CPU to another process left out (struct bench_tally). Every
 * segment checks the counters: each packet decrypted or encrypted, translated by NAT (and, for
 * setup, a session created for it), sent out of the right port, no drop anywhere; else the
 * program fails. Timing never makes it fail.
 *
 *   bench_exit [--seconds S] [--core N] [--round P] [--flows F] [--no-handoff]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <sodium.h>

#include "bench_dp.h"
#include "bench_util.h"
#include "dataplane.h"
#include "exit.h"
#include "l2.h"
#include "log.h"
#include "nat.h"

enum {
	ROUND_DEFAULT = 1024,
	FLOWS_MAX = 131072,
	FLOW_COUNTS = 2,
	SETUP_FLOWS = 131072,  /* new sessions per setup segment: half the table's capacity */
	SESSIONS = 262144,     /* exit.sessions */
	UDP_TIMEOUT_S = 3600,  /* exit.timeouts.udp: longer than any run */
	EGRESS_MTU = 1500,     /* an Ethernet link: the largest size leaves unfragmented */
	REMOTE_PORT = 443,
	SPORT_BASE = 49152,    /* the inner source ports: ephemeral, outside the masquerade range */
	SPORT_SPAN = 16384,
	FLOWS_PER_HOST = 4,
	REMOTE_BASE = 0xc6120000, /* 198.18.0.0/15 */
};

static const uint32_t flow_counts[FLOW_COUNTS] = {10000, 100000};

enum path {
	PATH_OUTBOUND,
	PATH_RETURN,
	PATH_SETUP,
	PATH_OUTBOUND_SPREAD, /* two workers: arriving on worker 0, flows on both */
	PATH_RETURN_OWNED,    /* two workers: worker 0's sessions, arriving on worker 0 */
	PATH_RETURN_HANDOFF,  /* two workers: worker 0's sessions, arriving on worker 1 */
	PATH_COUNT
};

static const char *const path_names[PATH_COUNT] = {
	"outbound", "return", "setup", "outbound-2w", "return-owned", "return-handoff",
};

struct figure {
	double ns, alloc_ns;
	double aead_ns; /* raw AEAD of the path's direction (open going out, seal coming back) */
};

/* What the checks of a path's segments counted, summed over the run (printed at the end). */
struct checked {
	uint64_t in, wg, translated, created, out, dropped;
};

struct bench {
	struct dp_fixture fixture;
	struct dataplane *dp;
	struct worker *w;      /* the worker measured (two workers: worker 0) */
	struct worker *other;  /* two workers: worker 1 */
	double seconds;
	uint32_t round;
	uint32_t flows;        /* flows in flow_table: the ones rounds cycle through */
	uint32_t cursor;       /* the flow_table index of a round's first packet */
	uint32_t flow_list[FLOW_COUNTS];
	unsigned int flow_list_count;
	bool two_workers;
	bool warming; /* sessions_make: outbound packets may create sessions */

	struct bench_peer peer;
	struct bench_frame outbound_in, return_in; /* a size's frames before the flow is written */
	struct rte_mbuf *pkts[BENCH_DP_ROUND_MAX];
	struct wg_transport_op ops[BENCH_DP_ROUND_MAX];
	uint32_t flow_table[FLOWS_MAX]; /* flow numbers */
	uint16_t ext_port[FLOWS_MAX];   /* each flow's external port, from the NAT's sessions */
	uint8_t owner[FLOWS_MAX];       /* the worker whose instance holds the flow's session */

	struct figure figures[FLOW_COUNTS][BENCH_SIZE_COUNT][PATH_COUNT];
	struct figure setup[BENCH_SIZE_COUNT];
	struct figure pair_figures[BENCH_SIZE_COUNT][PATH_COUNT];
	struct checked checked[PATH_COUNT];
};

/* ---- flows ---- */

static rte_be32_t
remote_of(uint32_t flow)
{
	return rte_cpu_to_be_32(REMOTE_BASE + flow / FLOWS_PER_HOST);
}

static uint16_t
sport_of(uint32_t flow)
{
	return (uint16_t)(SPORT_BASE + flow % SPORT_SPAN);
}

/* The flow a session belongs to, or UINT32_MAX when it is none of ours. */
static uint32_t
flow_of(const struct nat_session_info *s)
{
	uint32_t host, flow;
	rte_be32_t remote;

	memcpy(&remote, s->remote.addr.bytes, 4);
	host = rte_be_to_cpu_32(remote) - REMOTE_BASE;
	if (host >= FLOWS_MAX / FLOWS_PER_HOST || s->inner.port < SPORT_BASE)
		return UINT32_MAX;
	flow = host * FLOWS_PER_HOST +
	       ((s->inner.port - SPORT_BASE - host * FLOWS_PER_HOST) % SPORT_SPAN);
	return flow < FLOWS_MAX && sport_of(flow) == s->inner.port ? flow : UINT32_MAX;
}

/* Write flow into a packet of the template: the remote host and the inner source port going
 * out, the remote host and the external port coming back. */
static void
flow_write(const struct bench *b, uint8_t *packet, uint32_t flow, bool outbound)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)packet;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	if (outbound) {
		ip->dst_addr = remote_of(flow);
		udp->src_port = rte_cpu_to_be_16(sport_of(flow));
	} else {
		ip->src_addr = remote_of(flow);
		udp->dst_port = rte_cpu_to_be_16(b->ext_port[flow]);
	}
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The frames of a size: the peer's datagram carrying a packet to a remote host, and a remote
 * host's reply arriving from the gateway; flow_write completes them. */
static void
frames_build(struct bench *b, uint32_t size)
{
	const struct dp_port *egress = &b->dp->ports[CONFIG_PORT_EGRESS];
	uint8_t remote[4] = {0};
	uint8_t *packet;

	packet = bench_wg_frame_write(&b->outbound_in, b->dp, size);
	bench_udp_packet_write(packet, size, dp_fixture_tunnel_ip, remote, SPORT_BASE, REMOTE_PORT);

	memset(&b->return_in, 0, sizeof(b->return_in));
	bench_ether_write(b->return_in.bytes, &egress->mac, &dp_fixture_gateway_mac);
	bench_udp_packet_write(b->return_in.bytes + L2_HLEN, size, remote, dp_fixture_egress_ip,
			       REMOTE_PORT, 0);
	b->return_in.len = L2_HLEN + size;
}

/* A round of frames for the next flows from the cursor: the peer's sealed datagrams (outbound)
 * or the remote hosts' replies (return). */
static void
round_prepare(struct bench *b, struct worker *w, bool outbound, uint32_t size)
{
	enum config_port_role role = outbound ? CONFIG_PORT_PUBLIC : CONFIG_PORT_EGRESS;
	uint32_t offset = outbound ? BENCH_DP_OUTER_HLEN + WG_MSG_TRANSPORT_HEADER_LEN : L2_HLEN;

	bench_round_fill(b->pkts, b->round, outbound ? &b->outbound_in : &b->return_in,
			 dp_fixture_source(w, role)->eth_port);
	for (uint32_t i = 0; i < b->round; i++) {
		flow_write(b, rte_pktmbuf_mtod_offset(b->pkts[i], uint8_t *, offset),
			   b->flow_table[b->cursor], outbound);
		b->cursor = (b->cursor + 1) % b->flows;
	}
	if (outbound)
		bench_round_seal(b->dp, &b->peer, b->pkts, b->round, size, b->ops);
}

/* ---- set-up ---- */

/* The fixture's options for a data plane of `workers` workers on the ports from first_device;
 * lcores: the main lcore and, on the benchmark CPU, both workers' (EAL is made once, from the
 * first data plane's options: it makes the second's lcores and ports too; only one of the two
 * worker lcores runs at a time). */
static struct dp_fixture_options
fixture_options(const char *lcores, unsigned int workers, unsigned int first_device)
{
	return (struct dp_fixture_options){
		.name = "bench_exit",
		.lcores = lcores,
		.workers = workers,
		.eal_memory_mb = 1024,
		.first_device = first_device,
		.spare_devices = first_device == 0 ? DP_FIXTURE_DEVICES : 0,
		.exit = true,
		.egress_mtu = EGRESS_MTU,
		.sessions = SESSIONS,
		.udp_timeout_s = UDP_TIMEOUT_S,
	};
}

/* ---- checks ---- */

static bool
path_outbound(enum path path)
{
	return path == PATH_OUTBOUND || path == PATH_SETUP || path == PATH_OUTBOUND_SPREAD;
}


/* Sums over the data plane's workers and NAT instances, and the two ports' output. */
struct snapshot {
	struct worker_counters counters;
	struct nat_stats nat;
	uint64_t public_out, egress_out;
};

static void
snapshot_take(const struct bench *b, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < b->dp->worker_count; i++) {
		const struct worker *w = b->dp->workers[i];
		struct nat_stats st;

		for (int c = 0; c < WORKER_COUNTER_COUNT; c++)
			s->counters.value[c] += w->counters.value[c];
		for (int d = 0; d < DROP_REASON_COUNT; d++)
			s->counters.drop[d] += w->counters.drop[d];
		nat_stats_read(w->nat, &st);
		for (int r = 0; r < NAT_RESULT_COUNT; r++) {
			s->nat.outbound[r] += st.outbound[r];
			s->nat.inbound[r] += st.inbound[r];
		}
		s->nat.sessions_created += st.sessions_created;
	}
	s->public_out = bench_port_opackets(b->dp->ports[CONFIG_PORT_PUBLIC].eth_port);
	s->egress_out = bench_port_opackets(b->dp->ports[CONFIG_PORT_EGRESS].eth_port);
}

/* Every packet went the whole way and out of the right port; nothing dropped anywhere. */
static int
segment_check(struct bench *b, enum path path, const struct snapshot *before, uint64_t packets)
{
	bool outbound = path_outbound(path);
	enum worker_counter through = outbound ? WC_wg_rx_data : WC_wg_tx_data;
	struct snapshot now;
	uint64_t drops, wg, translated, out, created;

	snapshot_take(b, &now);
	drops = bench_drops_since("bench_exit", &before->counters, &now.counters);
	wg = now.counters.value[through] - before->counters.value[through];
	translated = outbound ? now.nat.outbound[NAT_OK] - before->nat.outbound[NAT_OK]
			      : now.nat.inbound[NAT_OK] - before->nat.inbound[NAT_OK];
	out = outbound ? now.egress_out - before->egress_out : now.public_out - before->public_out;
	created = now.nat.sessions_created - before->nat.sessions_created;
	for (int r = 1; r < NAT_RESULT_COUNT; r++) {
		uint64_t n = outbound ? now.nat.outbound[r] - before->nat.outbound[r]
				      : now.nat.inbound[r] - before->nat.inbound[r];

		if (n != 0)
			log_error("bench_exit: NAT: %" PRIu64 " %s", n,
				  nat_result_name((enum nat_result)r));
		drops += n;
	}
	b->checked[path].in += packets;
	b->checked[path].wg += wg;
	b->checked[path].translated += translated;
	b->checked[path].created += created;
	b->checked[path].out += out;
	b->checked[path].dropped += drops;
	if (drops != 0 || wg != packets || translated != packets || out != packets ||
	    (path == PATH_SETUP && created != packets) ||
	    (path != PATH_SETUP && !b->warming && created != 0)) {
		log_error("bench_exit: %s: %" PRIu64 " packets in, %" PRIu64 " through WireGuard, "
			  "%" PRIu64 " translated, %" PRIu64 " sessions created, %" PRIu64 " out, "
			  "%" PRIu64 " dropped", path_names[path], packets, wg, translated, created,
			  out, drops);
		return -1;
	}
	return 0;
}

/* ---- measurement ---- */

/*
 * Two workers, one core: a round arrives on `arrive`, which runs its loop body per burst; then
 * `partner` runs its own (exit_poll takes what was handed to it over its nat_ring, translates
 * and sends it), as two cores would, on this one.
 */
static __attribute__((noinline)) uint64_t
round_process_pair(struct worker *arrive, struct worker *partner, const struct rx_source *src,
		   struct rte_mbuf **pkts, uint32_t n)
{
	uint16_t burst = (uint16_t)arrive->dp->burst;
	uint64_t t0 = bench_now_ns();

	for (uint32_t i = 0; i < n; i += burst) {
		bench_worker_turn(arrive, src, &pkts[i], (uint16_t)(n - i < burst ? n - i : burst));
		bench_worker_turn(partner, NULL, NULL, 0);
	}
	dp_fixture_tx_flush(arrive);
	dp_fixture_tx_flush(partner);
	return bench_now_ns() - t0;
}

/* A fresh, empty NAT table on every worker. */
static int
tables_reset(struct bench *b)
{
	for (unsigned int i = 0; i < b->dp->worker_count; i++) {
		exit_worker_fini(b->dp->workers[i]);
		if (exit_worker_init(b->dp->workers[i]) != 0) {
			log_error("bench_exit: a fresh NAT table: out of memory");
			return -1;
		}
	}
	return 0;
}

/* Cycle through flows 0 .. flows - 1. */
static void
flows_all(struct bench *b, uint32_t flows)
{
	for (uint32_t f = 0; f < flows; f++)
		b->flow_table[f] = f;
	b->flows = flows;
	b->cursor = 0;
}

/* Rounds on a path until segment_ns has passed (bench_tally_done), or, for setup, exactly
 * SETUP_FLOWS new flows on a fresh table: ns per packet, processing + allocation. */
static int
segment(struct bench *b, enum path path, uint32_t size, uint64_t segment_ns, struct figure *fig)
{
	bool outbound = path_outbound(path);
	struct worker *arrive = path == PATH_RETURN_HANDOFF ? b->other : b->w;
	struct worker *partner = b->other == NULL ? NULL : arrive == b->w ? b->other : b->w;
	const struct rx_source *src =
		dp_fixture_source(arrive, outbound ? CONFIG_PORT_PUBLIC : CONFIG_PORT_EGRESS);
	struct bench_tally tally = {0};
	struct snapshot before;

	if (path == PATH_SETUP) {
		/* an empty table, and flows it has never seen */
		if (tables_reset(b) != 0)
			return -1;
		flows_all(b, SETUP_FLOWS);
	}
	snapshot_take(b, &before);
	do {
		uint64_t mark = bench_tally_mark(), alloc, processing;

		alloc = bench_round_alloc(b->dp, b->pkts, b->round);
		round_prepare(b, arrive, outbound, size);
		if (partner != NULL)
			processing = round_process_pair(arrive, partner, src, b->pkts, b->round);
		else
			processing = bench_round_process(arrive, src, b->pkts, b->round);
		bench_tally_add(&tally, mark, alloc, processing, b->round);
	} while (path == PATH_SETUP ? tally.all_packets < SETUP_FLOWS
				    : !bench_tally_done(&tally, segment_ns));
	if (segment_check(b, path, &before, tally.all_packets) != 0)
		return -1;
	fig->ns = bench_tally_ns(&tally, &fig->alloc_ns);
	return 0;
}

struct walk {
	struct bench *b;
	unsigned int worker;
	uint32_t found;
};

static bool
session_visit(const struct nat_session_info *s, void *ctx)
{
	struct walk *walk = ctx;
	uint32_t flow = flow_of(s);

	if (flow < walk->b->flows) {
		walk->b->ext_port[flow] = s->external.port;
		walk->b->owner[flow] = (uint8_t)walk->worker;
		walk->found++;
	}
	return true;
}

/* Fresh tables holding a session for every flow (untimed outbound passes at 64 bytes), and
 * each flow's external port and owner read back from the sessions. */
static int
sessions_make(struct bench *b, uint32_t flows)
{
	struct figure ignored;
	struct walk walk = {b, 0, 0};
	uint32_t sessions;

	if (tables_reset(b) != 0 || bench_peer_keypair_fresh(b->dp, &b->peer) != 0)
		return -1;
	frames_build(b, bench_sizes[0]);
	flows_all(b, flows);
	b->warming = true;
	do {
		if (segment(b, PATH_OUTBOUND, bench_sizes[0], 0, &ignored) != 0) {
			b->warming = false;
			return -1;
		}
		sessions = 0;
		for (unsigned int i = 0; i < b->dp->worker_count; i++)
			sessions += nat_session_count(b->dp->workers[i]->nat);
	} while (sessions < flows);
	b->warming = false;
	for (walk.worker = 0; walk.worker < b->dp->worker_count; walk.worker++)
		nat_walk(b->dp->workers[walk.worker]->nat, session_visit, &walk);
	if (walk.found != flows) {
		log_error("bench_exit: %u sessions for %u flows", walk.found, flows);
		return -1;
	}
	return 0;
}

/* Cycle through the flows whose sessions worker 0 holds (after sessions_make). */
static void
flows_of_worker0(struct bench *b)
{
	uint32_t n = 0;

	for (uint32_t f = 0; f < b->flows; f++)
		if (b->owner[f] == 0)
			b->flow_table[n++] = f;
	b->flows = n;
	b->cursor = 0;
}

/* Raw AEAD of a direction on this round's frames and the measured worker's manager
 * (bench_aead_segment): open what the peer sends, seal what returns. */
static int
segment_aead(struct bench *b, bool seal, uint32_t size, uint64_t segment_ns, double *ns)
{
	return bench_aead_segment(b->w, &b->peer, b->pkts, b->round,
				  seal ? &b->return_in : &b->outbound_in, seal, size, b->ops,
				  segment_ns, ns);
}

/*
 * The paths of one size, interleaved segment by segment with raw AEAD in the directions they
 * take (ratio = AEAD ns / path ns, as bench_dataplane's), their medians into figs.
 */
static int
measure(struct bench *b, uint32_t size, const enum path *paths, unsigned int npaths,
	struct figure *figs)
{
	uint64_t segment_ns = (uint64_t)(b->seconds * 1e9 / BENCH_REPS);
	double ns[PATH_COUNT][BENCH_REPS], alloc[PATH_COUNT][BENCH_REPS];
	double aead[2][BENCH_REPS], ignored, median[2];
	bool direction[2] = {false, false}; /* [0] open, [1] seal: measured for these paths */
	struct figure fig;

	if (bench_peer_keypair_fresh(b->dp, &b->peer) != 0)
		return -1;
	frames_build(b, size);
	for (unsigned int p = 0; p < npaths; p++)
		direction[!path_outbound(paths[p])] = true;
	/* warm-up: one round of each (caches, branch predictors, mempool cache) */
	for (unsigned int p = 0; p < npaths; p++)
		if (paths[p] != PATH_SETUP && segment(b, paths[p], size, 0, &fig) != 0)
			return -1;
	for (int d = 0; d < 2; d++)
		if (direction[d] && segment_aead(b, d == 1, size, 0, &ignored) != 0)
			return -1;
	for (int rep = 0; rep < BENCH_REPS; rep++) {
		for (int d = 0; d < 2; d++)
			if (direction[d] &&
			    segment_aead(b, d == 1, size, segment_ns, &aead[d][rep]) != 0)
				return -1;
		for (unsigned int p = 0; p < npaths; p++) {
			if (segment(b, paths[p], size, segment_ns, &fig) != 0)
				return -1;
			ns[p][rep] = fig.ns;
			alloc[p][rep] = fig.alloc_ns;
		}
	}
	for (int d = 0; d < 2; d++)
		median[d] = direction[d] ? bench_median(aead[d], BENCH_REPS) : 0;
	for (unsigned int p = 0; p < npaths; p++) {
		figs[p].ns = bench_median(ns[p], BENCH_REPS);
		figs[p].alloc_ns = bench_median(alloc[p], BENCH_REPS);
		figs[p].aead_ns = median[!path_outbound(paths[p])];
	}
	return 0;
}

/* One worker: outbound and return for each flow count and size, then session setup. */
static int
bench_lcore(void *arg)
{
	static const enum path established[] = {PATH_OUTBOUND, PATH_RETURN};
	static const enum path setup[] = {PATH_SETUP};
	struct bench *b = arg;
	int status = 0;

	rte_rcu_qsbr_thread_online(b->dp->rcu, b->w->index);
	for (unsigned int f = 0; f < b->flow_list_count && status == 0; f++) {
		status = sessions_make(b, b->flow_list[f]);
		for (int s = 0; s < BENCH_SIZE_COUNT && status == 0; s++)
			status = measure(b, bench_sizes[s], established, RTE_DIM(established),
					 b->figures[f][s]);
	}
	for (int s = 0; s < BENCH_SIZE_COUNT && status == 0; s++)
		status = measure(b, bench_sizes[s], setup, RTE_DIM(setup), &b->setup[s]);
	bench_peer_release(b->dp, &b->peer);
	rte_rcu_qsbr_thread_offline(b->dp->rcu, b->w->index);
	return status;
}

/* Two workers: outbound flows spread over both, then worker 0's sessions' return traffic
 * arriving on either worker. */
static int
bench_lcore_pair(void *arg)
{
	static const enum path spread[] = {PATH_OUTBOUND_SPREAD};
	static const enum path back[] = {PATH_RETURN_OWNED, PATH_RETURN_HANDOFF};
	struct bench *b = arg;
	/* the largest flow count */
	uint32_t flows = b->flow_list[b->flow_list_count - 1];
	int status;

	rte_rcu_qsbr_thread_online(b->dp->rcu, b->w->index);
	rte_rcu_qsbr_thread_online(b->dp->rcu, b->other->index);
	status = sessions_make(b, flows);
	for (int s = 0; s < BENCH_SIZE_COUNT && status == 0; s++) {
		flows_all(b, flows);
		status = measure(b, bench_sizes[s], spread, RTE_DIM(spread),
				 &b->pair_figures[s][PATH_OUTBOUND_SPREAD]);
		flows_of_worker0(b);
		if (status == 0)
			status = measure(b, bench_sizes[s], back, RTE_DIM(back),
					 &b->pair_figures[s][PATH_RETURN_OWNED]);
	}
	bench_peer_release(b->dp, &b->peer);
	rte_rcu_qsbr_thread_offline(b->dp->rcu, b->other->index);
	rte_rcu_qsbr_thread_offline(b->dp->rcu, b->w->index);
	return status;
}

/* ---- output ---- */

static void
print_row(const char *path, uint32_t flows, uint32_t round, uint32_t size, const struct figure *f)
{
	printf("%-14s %6u %5u %5u %8.1f %6.1f %7.2f %7.2f  %8.1f %6.2f\n", path, flows, round,
	       size, f->ns, f->alloc_ns, 1e3 / f->ns, size * 8 / f->ns, f->aead_ns,
	       f->aead_ns / f->ns);
}

static void
print_header(void)
{
	printf("%-14s %6s %5s %5s %8s %6s %7s %7s  %8s %6s\n", "path", "flows", "round", "bytes",
	       "ns/pkt", "alloc", "Mpps", "Gbit/s", "AEAD ns", "ratio");
}

static void
print_figures(const struct bench *b, int cpus, int main_cpu, int worker_cpu)
{
	printf("Exit path per worker core: real path (l2_input_burst + wg_data_flush + exit_poll, "
	       "net_null ports), median of %d segments, %.2g s per figure\n",
	       BENCH_REPS, b->seconds);
	bench_dp_print_setup(b->w, cpus, worker_cpu, main_cpu);
	printf("exit: masquerade to 10.0.2.10 on the egress port, via gateway 10.0.2.1; one peer; "
	       "flows: UDP 10.77.0.2:%d-%d -> 198.18.0.0/15 port %d, %d per host\n",
	       SPORT_BASE, SPORT_BASE + SPORT_SPAN - 1, REMOTE_PORT, FLOWS_PER_HOST);
	printf("outbound: the peer's frames on the public port, decrypted, NAT on an established "
	       "session, out of the egress port;\nreturn: replies on the egress port, NAT inbound, "
	       "encrypted, out of the public port (one worker: every session is its own, no "
	       "handoff);\nsetup: outbound, every packet a new flow (its session created), the "
	       "table empty at the start of each %d flows;\nbytes: inner IP packet, Gbit/s of "
	       "those bytes; ns/pkt includes mbuf alloc (column alloc) and free;\nAEAD: raw "
	       "ipsec-mb transport open (outbound, setup) or seal (return), same core, sizes and "
	       "memory, in the same run; ratio = AEAD ns / path ns\n", SETUP_FLOWS);
	print_header();
	for (unsigned int f = 0; f < b->flow_list_count; f++)
		for (int s = 0; s < BENCH_SIZE_COUNT; s++)
			for (int p = PATH_OUTBOUND; p <= PATH_RETURN; p++)
				print_row(path_names[p], b->flow_list[f], b->round, bench_sizes[s],
					  &b->figures[f][s][p]);
	for (int s = 0; s < BENCH_SIZE_COUNT; s++)
		print_row(path_names[PATH_SETUP], SETUP_FLOWS, b->round, bench_sizes[s],
			  &b->setup[s]);
	fflush(stdout);
}

static void
print_pair_figures(const struct bench *b)
{
	uint32_t flows = b->flow_list[b->flow_list_count - 1];

	printf("two workers, both loops on this core in turn (CPU per packet for the pair, not "
	       "cross-core traffic):\noutbound-2w: the peer's frames arrive on worker 0, flows "
	       "hashed over both workers (worker 1's cross over its nat_ring);\nreturn-owned / "
	       "return-handoff: replies to worker 0's sessions (%u of the %u flows) arriving on "
	       "worker 0 / on worker 1 (handed to worker 0)\n", b->flows, flows);
	print_header();
	for (int s = 0; s < BENCH_SIZE_COUNT; s++)
		for (int p = PATH_OUTBOUND_SPREAD; p <= PATH_RETURN_HANDOFF; p++)
			print_row(path_names[p], p == PATH_OUTBOUND_SPREAD ? flows : b->flows,
				  b->round, bench_sizes[s], &b->pair_figures[s][p]);
}

/* The counts the checks rest on: every path's whole run, its warm-up and the passes that create
 * the sessions included (so "created" is not 0 for the established flows' outbound). */
static void
print_checks(const struct bench *b)
{
	printf("checked, summed over every segment of a path (the run stops at the first segment "
	       "where a count differs from the packets sent in or anything is dropped);\n"
	       "out: of the egress port (outbound, setup) or the public port (return); dropped: "
	       "worker drop counters and NAT failures\n");
	printf("%-14s %11s %11s %11s %11s %11s %8s\n", "path", "in", "WireGuard", "NAT",
	       "created", "out", "dropped");
	for (int p = 0; p < PATH_COUNT; p++) {
		const struct checked *c = &b->checked[p];

		if (c->in != 0)
			printf("%-14s %11" PRIu64 " %11" PRIu64 " %11" PRIu64 " %11" PRIu64
			       " %11" PRIu64 " %8" PRIu64 "\n", path_names[p], c->in, c->wg,
			       c->translated, c->created, c->out, c->dropped);
	}
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: bench_exit [--seconds S] [--core N] [--round P] [--flows F] "
		     "[--no-handoff]\n"
		     "  The exit path (decrypt + NAT + egress, and back) on one worker core.\n"
		     "  --seconds S    time per figure (default 1)\n"
		     "  --core N       CPU of the worker lcore (default: the highest one allowed)\n"
		     "  --round P      packets per round, a multiple of 32 up to %d (default %d)\n"
		     "  --flows F      only F flows, 1 to %d (default: %u and %u)\n"
		     "  --no-handoff   skip the two-worker figures\n",
		BENCH_DP_ROUND_MAX, ROUND_DEFAULT, FLOWS_MAX, flow_counts[0], flow_counts[1]);
}

/* The two-worker data plane in place of the first, on the spare ports. */
static int
pair_run(struct bench *b, const char *lcores)
{
	struct dp_fixture_options o = fixture_options(lcores, 2, DP_FIXTURE_DEVICES);

	bench_peer_release(b->dp, &b->peer);
	if (dp_fixture_replace(&b->fixture, &o) != 0)
		return -1;
	b->dp = b->fixture.dp;
	b->w = b->dp->workers[0];
	b->other = b->dp->workers[1];
	b->peer.peer = b->fixture.peer;
	return bench_dp_run(b->w->lcore, bench_lcore_pair, b);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"seconds", required_argument, NULL, 's'},
		{"core", required_argument, NULL, 'c'},
		{"round", required_argument, NULL, 'r'},
		{"flows", required_argument, NULL, 'f'},
		{"no-handoff", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct bench bench; /* large: not on the stack */
	struct bench *b = &bench;
	/* before EAL pins this thread to the main lcore's CPU */
	int worker_cpu = bench_default_core(), cpus = bench_cpu_count(), main_cpu;
	struct dp_fixture_options fixture;
	char lcores[64];
	unsigned long flows;
	int opt, rc = 1;

	log_set_program("bench_exit");
	b->seconds = 1;
	b->round = ROUND_DEFAULT;
	b->two_workers = true;
	memcpy(b->flow_list, flow_counts, sizeof(flow_counts));
	b->flow_list_count = FLOW_COUNTS;
	while ((opt = getopt_long(argc, argv, "s:c:r:f:nh", options, NULL)) != -1) {
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
			b->round = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			flows = strtoul(optarg, NULL, 10);
			if (flows < 1 || flows > FLOWS_MAX) {
				usage(stderr);
				return 2;
			}
			b->flow_list[0] = (uint32_t)flows;
			b->flow_list_count = 1;
			break;
		case 'n':
			b->two_workers = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !bench_round_ok(b->round)) {
		usage(stderr);
		return 2;
	}
	main_cpu = bench_main_core(worker_cpu);
	if (sodium_init() < 0)
		return 1;
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d,2@%d", main_cpu, worker_cpu, worker_cpu);
	fixture = fixture_options(lcores, 1, 0);
	if (dp_fixture_start(&b->fixture, &fixture, argv[0]) != 0)
		goto out;
	b->dp = b->fixture.dp;
	b->w = b->fixture.w;
	if (bench_peer_init(&b->peer, b->fixture.peer) != 0)
		goto out;
	if (bench_dp_run(b->w->lcore, bench_lcore, b) != 0)
		goto out;
	print_figures(b, cpus, main_cpu, worker_cpu);
	if (b->two_workers) {
		if (pair_run(b, lcores) != 0)
			goto out;
		print_pair_figures(b);
	}
	print_checks(b);
	bench_dp_print_disturbed();
	rc = 0;
out:
	bench_peer_fini(b->fixture.dp, &b->peer);
	dp_fixture_stop(&b->fixture);
	return rc;
}
