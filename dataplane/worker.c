/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "exit.h"
#include "handoff.h"
#include "l2.h"
#include "log.h"
#include "wg_data.h"
#include "worker.h"

uint64_t
dp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
tx_refused(struct rte_mbuf **pkts, uint16_t unsent, void *userdata)
{
	struct worker *w = userdata;

	counter_add(&w->counters.drop[DROP_tx_full], unsent);
	rte_pktmbuf_free_bulk(pkts, unsent);
}

static int
tx_buffer_add(struct worker *w, uint16_t eth_port)
{
	struct rte_eth_dev_tx_buffer *b;

	b = rte_zmalloc_socket("tx_buffer", RTE_ETH_TX_BUFFER_SIZE(WORKER_TX_BUFFER), 0,
			       rte_lcore_to_socket_id(w->lcore));
	if (b == NULL)
		return -1;
	rte_eth_tx_buffer_init(b, WORKER_TX_BUFFER);
	rte_eth_tx_buffer_set_err_callback(b, tx_refused, w);
	w->tx[eth_port] = b;
	return 0;
}

int
worker_create(struct dataplane *dp, unsigned int index, unsigned int lcore)
{
	struct worker *w;
	char name[RTE_RING_NAMESIZE];

	w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
			       rte_lcore_to_socket_id(lcore));
	if (w == NULL)
		return -1;
	w->dp = dp;
	w->index = index;
	w->lcore = lcore;
	w->queue = (uint16_t)index;
	w->drain_tsc = (rte_get_tsc_hz() + 1000000 - 1) / 1000000 * WORKER_DRAIN_US;
	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		struct dp_port *port = &dp->ports[role];

		if (!port->present)
			continue;
		w->sources[w->source_count++] = (struct rx_source){port->eth_port, (uint8_t)role,
								   false};
		if (tx_buffer_add(w, port->eth_port) < 0)
			goto fail;
		if (port->has_tap) {
			w->sources[w->source_count++] =
				(struct rx_source){port->tap_port, (uint8_t)role, true};
			if (tx_buffer_add(w, port->tap_port) < 0)
				goto fail;
		}
	}
	snprintf(name, sizeof(name), "down%u", index);
	w->down = rte_ring_create(name, WORKER_DOWN_RING, rte_lcore_to_socket_id(lcore),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->down == NULL)
		goto fail;
	if (rte_rcu_qsbr_thread_register(dp->rcu, index) != 0)
		goto fail;
	if (wg_transport_ctx_init(&w->crypto) != 0)
		goto fail;
	if (exit_worker_init(w) != 0)
		goto fail;
	dp->workers[index] = w;
	return 0;
fail:
	worker_destroy(w);
	return -1;
}

void
worker_destroy(struct worker *w)
{
	struct rte_mbuf *m;

	if (w == NULL)
		return;
	for (unsigned int i = 0; i < RTE_MAX_ETHPORTS; i++)
		rte_free(w->tx[i]);
	if (w->down != NULL) {
		while (rte_ring_dequeue(w->down, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->down);
	}
	wg_transport_ctx_fini(&w->crypto);
	exit_worker_fini(w);
	if (w->dp->workers[w->index] == w)
		w->dp->workers[w->index] = NULL;
	rte_free(w);
}

void
worker_tx(struct worker *w, uint16_t eth_port, struct rte_mbuf *m)
{
	worker_count(&w->counters, WC_tx_packets, 1);
	worker_count(&w->counters, WC_tx_bytes, rte_pktmbuf_pkt_len(m));
	rte_eth_tx_buffer(eth_port, w->queue, w->tx[eth_port], m);
}

void
worker_to_control(struct worker *w, struct rte_ring *ring, struct rte_mbuf *m,
		  enum dp_msg_kind kind, enum drop_reason if_full)
{
	struct dp_meta *meta = dp_meta(m);

	meta->kind = (uint8_t)kind;
	meta->worker = (uint8_t)w->index;
	meta->time_ns = w->now_ns;
	if (handoff_up(w->dp, ring, m) < 0) {
		worker_drop(w, m, if_full);
		return;
	}
	worker_count(&w->counters, WC_to_control, 1);
}

static void
drain_tx(struct worker *w)
{
	for (unsigned int i = 0; i < w->source_count; i++) {
		uint16_t p = w->sources[i].eth_port;

		rte_eth_tx_buffer_flush(p, w->queue, w->tx[p]);
	}
}

/* Packets the control plane asked this worker to send. */
static unsigned int
poll_down(struct worker *w)
{
	struct rte_mbuf *pkts[DP_MAX_BURST];
	unsigned int n;

	n = rte_ring_dequeue_burst(w->down, (void **)pkts, w->dp->burst, NULL);
	if (n == 0)
		return 0;
	worker_count(&w->counters, WC_from_control, n);
	for (unsigned int i = 0; i < n; i++)
		l2_from_control(w, pkts[i]);
	return n;
}

/*
 * Adaptive idle: after a run of empty polls, pause; after a longer run, sleep with growing
 * naps up to WORKER_SLEEP_MAX_US. While asleep the worker is offline for RCU, so the control
 * plane's reclamation never waits for it. The runs are short (a few tens of microseconds):
 * adaptive is for machines where the worker shares its CPU with the processes it carries
 * traffic for, and every pass spent spinning between packets is taken from them (in the
 * two-CPU lab, naps after 300 empty polls rather than 20000 took the worker from 78 % to 59 %
 * of a CPU and raised iperf3 through it by 15-25 %); packets that arrive during a nap wait in
 * the RX ring.
 */
static void
idle(struct worker *w)
{
	uint64_t polls = ++w->empty_polls;
	unsigned int us;

	if (polls < WORKER_IDLE_SPIN)
		return;
	if (polls < WORKER_IDLE_SLEEP) {
		rte_pause();
		return;
	}
	us = (unsigned int)((polls - WORKER_IDLE_SLEEP) / 16 + 10);
	if (us > WORKER_SLEEP_MAX_US)
		us = WORKER_SLEEP_MAX_US;
	rte_rcu_qsbr_thread_offline(w->dp->rcu, w->index);
	usleep(us);
	rte_rcu_qsbr_thread_online(w->dp->rcu, w->index);
	worker_count(&w->counters, WC_idle_sleeps, 1);
}

int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct dataplane *dp = w->dp;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	uint16_t burst = (uint16_t)dp->burst;

	log_info("worker %u: lcore %u, %u rx sources", w->index, w->lcore, w->source_count);
	rte_rcu_qsbr_thread_online(dp->rcu, w->index);
	/* adaptive idle naps a few microseconds: without this the kernel's default timer slack
	 * (50 us) would make each nap five times longer than asked */
	if (dp->adaptive_idle && prctl(PR_SET_TIMERSLACK, WORKER_TIMER_SLACK_NS) != 0)
		log_warn("worker %u: timer slack: %s", w->index, strerror(errno));
	w->last_drain_tsc = rte_rdtsc();
	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		unsigned int work = 0;
		uint64_t tsc;

		w->now_ns = dp_now_ns();
		for (unsigned int i = 0; i < w->source_count; i++) {
			const struct rx_source *src = &w->sources[i];
			uint16_t n = rte_eth_rx_burst(src->eth_port, w->queue, pkts, burst);

			if (n == 0)
				continue;
			work += n;
			l2_input_burst(w, src, pkts, n);
			wg_data_flush(w);
		}
		work += poll_down(w);
		work += exit_poll(w);
		wg_data_flush(w);

		tsc = rte_rdtsc();
		/* An idle pass flushes at once: nothing else is coming to share the burst. */
		if (work == 0 || tsc - w->last_drain_tsc >= w->drain_tsc) {
			drain_tx(w);
			w->last_drain_tsc = tsc;
		}
		rte_rcu_qsbr_quiescent(dp->rcu, w->index);
		if (work != 0)
			w->empty_polls = 0;
		else if (dp->adaptive_idle)
			idle(w);
	}
	drain_tx(w);
	rte_rcu_qsbr_thread_offline(dp->rcu, w->index);
	log_info("worker %u: stopped", w->index);
	return 0;
}
