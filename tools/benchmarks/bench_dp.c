/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_memcpy.h>
#include <rte_version.h>
#include <sodium.h>

#include "bench_dp.h"
#include "bench_util.h"
#include "dataplane.h"
#include "exit.h"
#include "l2.h"
#include "log.h"

/* ---- running on a worker lcore ---- */

struct run {
	int (*fn)(void *arg);
	void *arg;
	int status;
	bool done;
};

static int
run_lcore(void *arg)
{
	struct run *r = arg;

	r->status = r->fn(r->arg);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return r->status;
}

int
bench_dp_run(unsigned int lcore, int (*fn)(void *arg), void *arg)
{
	struct run r = {fn, arg, -1, false};

	if (rte_eal_remote_launch(run_lcore, &r, lcore) != 0)
		return -1;
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE))
		usleep(10000);
	rte_eal_wait_lcore(lcore);
	return r.status;
}

void
bench_dp_print_setup(const struct worker *w, int cpus, int worker_cpu, int main_cpu)
{
	char cpu[128];

	bench_cpu_model(cpu, sizeof(cpu));
	printf("cpu: %s (%d CPUs); worker lcore %u on CPU %d, main lcore on CPU %d\n", cpu,
	       cpus, w->lcore, worker_cpu, main_cpu);
	printf("ipsec-mb %s (%s), %s, burst %u, 4 KiB pages (no hugepages)\n",
	       imb_get_version_str(), wg_transport_ctx_arch(&w->crypto), rte_version(),
	       w->dp->burst);
}

/* ---- the peer ---- */

int
bench_peer_init(struct bench_peer *p, struct dp_peer *peer)
{
	memset(p, 0, sizeof(*p));
	p->peer = peer;
	if (wg_transport_ctx_init(&p->crypto) != 0) {
		log_error("bench: ipsec-mb manager for the peer failed");
		return -1;
	}
	return 0;
}

int
bench_peer_keypair_fresh(struct dataplane *dp, struct bench_peer *p)
{
	if (p->kp != NULL)
		dp_keypair_remove(dp, p->kp);
	p->kp = NULL;
	dataplane_reclaim(dp);
	randombytes_buf(p->send_key, sizeof(p->send_key));
	randombytes_buf(p->receive_key, sizeof(p->receive_key));
	p->local_index++;
	p->remote_index = randombytes_random();
	p->kp = dp_keypair_add(dp, p->peer, p->send_key, p->receive_key, p->local_index,
			       p->remote_index, true, dp_now_ns());
	if (p->kp == NULL) {
		log_error("bench: dp_keypair_add failed");
		return -1;
	}
	dp_peer_set_current(p->peer, p->kp);
	p->counter = 0;
	return 0;
}

void
bench_peer_release(struct dataplane *dp, struct bench_peer *p)
{
	if (p->kp != NULL)
		dp_keypair_remove(dp, p->kp);
	p->kp = NULL;
	sodium_memzero(p->send_key, sizeof(p->send_key));
	sodium_memzero(p->receive_key, sizeof(p->receive_key));
}

void
bench_peer_fini(struct dataplane *dp, struct bench_peer *p)
{
	bench_peer_release(dp, p);
	if (p->crypto.mgr != NULL)
		wg_transport_ctx_fini(&p->crypto);
	p->crypto.mgr = NULL;
}

/* ---- frames ---- */

void
bench_ether_write(uint8_t *p, const struct rte_ether_addr *dst, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
}

void
bench_ipv4_udp_write(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
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

void
bench_udp_packet_write(uint8_t *p, uint32_t size, const uint8_t src[4], const uint8_t dst[4],
		       uint16_t sport, uint16_t dport)
{
	uint32_t headers = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr);

	bench_ipv4_udp_write(p, src, dst, sport, dport, (uint16_t)(size - headers));
	for (uint32_t i = headers; i < size; i++)
		p[i] = (uint8_t)i;
}

uint8_t *
bench_wg_frame_write(struct bench_frame *f, const struct dataplane *dp, uint32_t size)
{
	uint32_t msg_len = (uint32_t)wg_transport_message_len(size, dp->wg->mtu);

	memset(f, 0, sizeof(*f));
	bench_ether_write(f->bytes, &dp->ports[CONFIG_PORT_PUBLIC].mac, &dp_fixture_peer_mac);
	bench_ipv4_udp_write(f->bytes + L2_HLEN, dp_fixture_peer_ip, dp_fixture_public_ip,
			     DP_FIXTURE_PEER_PORT, DP_FIXTURE_LISTEN_PORT, (uint16_t)msg_len);
	f->len = BENCH_DP_OUTER_HLEN + msg_len;
	return f->bytes + BENCH_DP_OUTER_HLEN + WG_MSG_TRANSPORT_HEADER_LEN;
}

/* ---- rounds ---- */

uint64_t
bench_round_alloc(struct dataplane *dp, struct rte_mbuf **pkts, uint32_t n)
{
	uint32_t burst = dp->burst;
	uint64_t t0 = bench_now_ns();

	for (uint32_t i = 0; i < n; i += burst) {
		uint32_t count = n - i < burst ? n - i : burst;

		if (rte_pktmbuf_alloc_bulk(dp->pool, &pkts[i], count) != 0) {
			log_error("bench: packet pool empty");
			exit(1);
		}
	}
	return bench_now_ns() - t0;
}

void
bench_round_fill(struct rte_mbuf **pkts, uint32_t n, const struct bench_frame *f,
		 uint16_t eth_port)
{
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		rte_memcpy(rte_pktmbuf_mtod(m, void *), f->bytes, f->len);
		m->data_len = (uint16_t)f->len;
		m->pkt_len = f->len;
		m->port = eth_port;
	}
}

void
bench_round_seal(const struct dataplane *dp, struct bench_peer *p, struct rte_mbuf **pkts,
		 uint32_t n, uint32_t size, struct wg_transport_op *ops)
{
	for (uint32_t i = 0; i < n; i++)
		ops[i] = (struct wg_transport_op){
			.key = p->receive_key,
			.msg = rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, BENCH_DP_OUTER_HLEN),
			.payload_len = size,
			.receiver = p->local_index,
			.counter = p->counter++,
		};
	if (wg_transport_seal_burst(&p->crypto, ops, n, dp->wg->mtu) != n) {
		log_error("bench: sealing the peer's frames failed");
		exit(1);
	}
}

void
bench_worker_turn(struct worker *w, const struct rx_source *src, struct rte_mbuf **pkts,
		  uint16_t n)
{
	w->now_ns = dp_now_ns();
	if (n != 0) {
		l2_input_burst(w, src, pkts, n);
		wg_data_flush(w);
	}
	exit_poll(w);
	wg_data_flush(w);
	rte_rcu_qsbr_quiescent(w->dp->rcu, w->index);
}

__attribute__((noinline)) uint64_t
bench_round_process(struct worker *w, const struct rx_source *src, struct rte_mbuf **pkts,
		    uint32_t n)
{
	uint16_t burst = (uint16_t)w->dp->burst;
	uint64_t t0 = bench_now_ns();

	for (uint32_t i = 0; i < n; i += burst)
		bench_worker_turn(w, src, &pkts[i], (uint16_t)(n - i < burst ? n - i : burst));
	dp_fixture_tx_flush(w);
	return bench_now_ns() - t0;
}

/* Where a message lies in a round's mbuf (bench_aead_segment). */
static uint8_t *
message_of(struct rte_mbuf *m, bool seal)
{
	if (!seal)
		return rte_pktmbuf_mtod_offset(m, uint8_t *, BENCH_DP_OUTER_HLEN);
	rte_pktmbuf_adj(m, L2_HLEN);
	return (uint8_t *)rte_pktmbuf_prepend(m, WG_MSG_TRANSPORT_HEADER_LEN);
}

int
bench_aead_segment(struct worker *w, struct bench_peer *p, struct rte_mbuf **pkts, uint32_t n,
		   const struct bench_frame *f, bool seal, uint32_t size,
		   struct wg_transport_op *ops, uint64_t segment_ns, double *ns)
{
	struct dataplane *dp = w->dp;
	uint32_t padded = (uint32_t)wg_transport_padded_len(size, dp->wg->mtu);
	struct bench_tally tally = {0};
	double ignored;

	do {
		uint64_t mark = bench_tally_mark(), t0, timed;
		uint32_t ok = 0;

		bench_round_alloc(dp, pkts, n);
		bench_round_fill(pkts, n, f, 0);
		if (!seal)
			bench_round_seal(dp, p, pkts, n, size, ops);
		for (uint32_t i = 0; i < n; i++)
			ops[i] = (struct wg_transport_op){
				.key = seal ? p->send_key : p->receive_key,
				.msg = message_of(pkts[i], seal),
				.payload_len = seal ? size : padded,
				.receiver = p->remote_index,
				.counter = seal ? p->seal_counter++ : ops[i].counter,
			};
		t0 = bench_now_ns();
		for (uint32_t i = 0; i < n; i += WG_TRANSPORT_BURST_MAX) {
			uint32_t count = n - i < WG_TRANSPORT_BURST_MAX ? n - i
								 : WG_TRANSPORT_BURST_MAX;

			if (seal)
				ok += wg_transport_seal_burst(&w->crypto, &ops[i], count,
							      dp->wg->mtu);
			else
				ok += wg_transport_open_burst(&w->crypto, &ops[i], count);
		}
		timed = bench_now_ns() - t0;
		rte_pktmbuf_free_bulk(pkts, n);
		bench_tally_add(&tally, mark, 0, timed, n);
		if (ok != n) {
			log_error("bench: raw AEAD: %u of %u packets", ok, n);
			return -1;
		}
	} while (!bench_tally_done(&tally, segment_ns));
	*ns = bench_tally_ns(&tally, &ignored);
	return 0;
}

/* ---- timing ---- */

static uint64_t rounds_total, rounds_disturbed, segments_disturbed;

uint64_t
bench_tally_mark(void)
{
	return bench_preemptions();
}

void
bench_tally_add(struct bench_tally *t, uint64_t mark, uint64_t alloc_ns, uint64_t ns,
		uint32_t packets)
{
	rounds_total++;
	t->all_ns += ns;
	t->all_alloc_ns += alloc_ns;
	t->all_packets += packets;
	if (bench_preemptions() != mark) {
		rounds_disturbed++;
		return;
	}
	t->ns += ns;
	t->alloc_ns += alloc_ns;
	t->packets += packets;
}

bool
bench_tally_done(const struct bench_tally *t, uint64_t segment_ns)
{
	if (t->packets > 0 && t->ns + t->alloc_ns >= segment_ns)
		return true;
	return t->all_packets > 0 && t->all_ns + t->all_alloc_ns >= 8 * segment_ns;
}

double
bench_tally_ns(const struct bench_tally *t, double *alloc_ns)
{
	if (t->packets == 0) {
		segments_disturbed++;
		*alloc_ns = (double)t->all_alloc_ns / (double)t->all_packets;
		return (double)(t->all_ns + t->all_alloc_ns) / (double)t->all_packets;
	}
	*alloc_ns = (double)t->alloc_ns / (double)t->packets;
	return (double)(t->ns + t->alloc_ns) / (double)t->packets;
}

void
bench_dp_print_disturbed(void)
{
	printf("rounds left out because the thread was preempted during them: %" PRIu64
	       " of %" PRIu64 "; segments that had to include such rounds: %" PRIu64 "\n",
	       rounds_disturbed, rounds_total, segments_disturbed);
}

uint64_t
bench_port_opackets(uint16_t eth_port)
{
	struct rte_eth_stats stats;

	if (rte_eth_stats_get(eth_port, &stats) != 0)
		return 0;
	return stats.opackets;
}

uint64_t
bench_drops_since(const char *program, const struct worker_counters *before,
		  const struct worker_counters *now)
{
	uint64_t drops = 0;

	for (int d = 0; d < DROP_REASON_COUNT; d++) {
		uint64_t n = now->drop[d] - before->drop[d];

		if (n != 0)
			log_error("%s: %" PRIu64 " dropped: %s", program, n,
				  drop_reason_name((enum drop_reason)d));
		drops += n;
	}
	return drops;
}
