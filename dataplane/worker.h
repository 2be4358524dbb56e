/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore: run to completion over its own RX queue of every port (and kernel TAP), with
 * buffered transmit on its own TX queue of each, drained at least every DRAIN_US. Everything a
 * worker touches per packet is either its own (this struct, its queues) or read-only shared
 * state published by the control plane (dp.h).
 */
#ifndef EXITGATE_DATAPLANE_WORKER_H
#define EXITGATE_DATAPLANE_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "counters.h"
#include "dp.h"
#include "transport.h"

enum {
	WORKER_DRAIN_US = 100,     /* longest a buffered packet waits for company */
	WORKER_TX_BUFFER = 64,     /* packets buffered per TX queue before a burst */
	WORKER_DOWN_RING = 4096,   /* control -> worker */
	WORKER_IDLE_SPIN = 100,    /* empty polls before adaptive idle starts to pause */
	WORKER_IDLE_SLEEP = 300,   /* empty polls before it sleeps */
	WORKER_TIMER_SLACK_NS = 1000, /* adaptive idle's naps: slack the kernel may add */
	WORKER_SLEEP_MAX_US = 500, /* longest adaptive sleep: bounds the added latency */
	WORKER_EXIT_STAGE = NAT_BURST_CHUNK, /* packets an exit NAT stage holds (the NAT's chunk) */
};

struct rx_source {
	uint16_t eth_port;
	uint8_t role; /* enum config_port_role */
	bool from_tap; /* the kernel TAP of that role */
};

struct dp_keypair;
struct dp_peer;
struct nat;
struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;

/* A transport message waiting in this worker's decrypt burst. */
struct wg_rx_pending {
	struct rte_mbuf *m;
	struct dp_keypair *keypair;
	struct netendpoint src; /* family 0: arrived through the relay */
	uint16_t msg_off;       /* where the WireGuard message starts in the frame */
};

/*
 * One of the exit path's NAT stages (exit.c): packets of the burst that passed the exit checks
 * and wait for their NAT lookup, made for all of them at once (nat_outbound_burst /
 * nat_inbound_burst). nat[i] describes pkts[i]; the packets' data does not move until the stage
 * runs.
 */
struct exit_stage {
	unsigned int count;
	struct rte_mbuf *pkts[WORKER_EXIT_STAGE];
	struct nat_burst_packet nat[WORKER_EXIT_STAGE];
};

/* A packet waiting in this worker's encrypt burst. */
struct wg_tx_pending {
	struct rte_mbuf *m;
	struct dp_peer *peer;
	struct dp_keypair *keypair;
	uint32_t plaintext_len;
};

struct worker {
	struct dataplane *dp;
	unsigned int index;
	unsigned int lcore;
	uint16_t queue;
	uint64_t now_ns;

	struct rx_source sources[CONFIG_PORT_ROLES * 2];
	unsigned int source_count;
	struct rte_eth_dev_tx_buffer *tx[RTE_MAX_ETHPORTS];
	struct rte_ring *down;

	uint64_t drain_tsc;
	uint64_t last_drain_tsc;
	uint64_t empty_polls;
	uint16_t ip_id; /* IPv4 identification of packets this worker originates */

	/* exit path: this worker's NAT instance, the ring other workers hand it return traffic
	 * on (its ports), and reassembly of fragments for the exit address */
	struct nat *nat;
	struct rte_ring *nat_ring;
	struct rte_ip_frag_tbl *frag_table;
	struct rte_ip_frag_death_row *frag_death_row;
	uint32_t ipv6_frag_id; /* identification of the IPv6 fragments this worker makes */
	struct exit_stage exit_out; /* decrypted, checked, owned here: to masquerade */
	struct exit_stage exit_in;  /* return traffic owned here: to translate back */

	struct wg_transport_ctx crypto;
	unsigned int rx_count;
	unsigned int tx_count;
	struct wg_rx_pending rx_pending[WG_TRANSPORT_BURST_MAX];
	struct wg_transport_op rx_ops[WG_TRANSPORT_BURST_MAX];
	struct wg_tx_pending tx_pending[WG_TRANSPORT_BURST_MAX];
	struct wg_transport_op tx_ops[WG_TRANSPORT_BURST_MAX];

	struct worker_counters counters;
} __rte_cache_aligned;

int worker_create(struct dataplane *dp, unsigned int index, unsigned int lcore);
void worker_destroy(struct worker *w);
/* lcore entry point (rte_eal_remote_launch) */
int worker_main(void *arg);

/* Drop a packet and count why. */
static inline void
worker_drop(struct worker *w, struct rte_mbuf *m, enum drop_reason reason)
{
	worker_count_drop(&w->counters, reason);
	rte_pktmbuf_free(m);
}

/* Queue a complete frame for transmission on an ethdev (buffered, this worker's queue). */
void worker_tx(struct worker *w, uint16_t eth_port, struct rte_mbuf *m);
/* Hand a packet to the control plane on an up ring; counts and frees when the ring is full. */
void worker_to_control(struct worker *w, struct rte_ring *ring, struct rte_mbuf *m,
		       enum dp_msg_kind kind, enum drop_reason if_full);

#endif
