/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data plane state shared by the main lcore (control plane) and the worker lcores.
 *
 * Concurrency: the control plane is the only writer of everything here after start; workers
 * read. Structures that change while workers run (neighbours, peers, keypairs, allowed-IPs) are
 * published with C11 atomics and reclaimed through one rte_rcu_qsbr variable: each worker reports
 * a quiescent state once per loop iteration and goes offline before it sleeps, and the control
 * plane frees retired objects from a defer queue once every worker has passed a quiescent state.
 * Packets move between the two sides only through rings (dp_handoff.h).
 */
#ifndef EXITGATE_DATAPLANE_DP_H
#define EXITGATE_DATAPLANE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "config.h"
#include "counters.h"
#include "nat.h"

enum {
	DP_MAX_WORKERS = 64,
	DP_MAX_PORT_ADDRESSES = 8,
	DP_MAX_BURST = 256,
	DP_DEFAULT_TTL = 64,
};

/* One role's port: the NIC (or vdev) and, optionally, the kernel TAP paired with it. */
struct dp_port {
	bool present;
	enum config_port_role role;
	uint16_t eth_port;
	bool has_tap;
	uint16_t tap_port;
	bool l3_only; /* net_tun: frames are bare IP packets */
	/* A net_tap/net_tun inner port is a pipe to this host's kernel: the configured addresses
	 * are the kernel interface's, the data plane owns none and every destination is on-link. */
	bool host_facing;
	char kernel_ifname[32]; /* the kernel interface of a host-facing port, or "" */
	char tap_ifname[32];    /* the kernel TAP of the slow path, or "" */
	struct rte_ether_addr mac;
	uint32_t mtu;
	struct netprefix addresses[DP_MAX_PORT_ADDRESSES];
	unsigned int address_count;
	struct netaddr gateway;
	struct netaddr gateway6;
	uint64_t tx_offloads; /* RTE_ETH_TX_OFFLOAD_* the device does for us */
	uint64_t rx_offloads;
	char name[96]; /* role and ethdev name, for logs and stats */
};

struct worker;
struct neighbor_table;
struct dp_wg;
struct dp_acl;

struct dataplane {
	const struct config *config; /* during dataplane_create only */
	struct dp_port ports[CONFIG_PORT_ROLES];
	struct rte_mempool *pool;
	uint16_t listen_port;
	uint32_t burst;
	bool adaptive_idle;

	unsigned int worker_count;
	struct worker *workers[DP_MAX_WORKERS];

	/* worker -> control */
	struct rte_ring *up_handshake; /* WireGuard types 1-3; its depth drives "under load" */
	struct rte_ring *up_other;     /* STUN, disco, ARP/ND to learn, packets waiting for state */
	int up_eventfd;                /* written when the control plane waits and work arrives */
	int control_waiting;           /* the control plane found the up rings empty (handoff.h) */

	struct rte_rcu_qsbr *rcu;
	struct rte_rcu_qsbr_dq *rcu_defer;

	struct neighbor_table *neighbors;
	struct dp_wg *wg;
	/* the tailnet's packet filter (acl.h); NULL = everything allowed (standalone mode) */
	_Atomic(struct dp_acl *) acl;

	/* the exit path (exit.h): fixed at start */
	bool exit_enabled;
	bool exit_v4_masquerade;
	bool exit_v6_masquerade;
	bool mss_clamp;
	uint8_t exit_role;         /* egress, or public when there is no egress port */
	uint32_t exit_mtu;         /* the exit port's link MTU */
	uint32_t tunnel_mtu;       /* node.mtu: the largest inner packet */
	struct netaddr exit_v4;    /* masquerade address and source of errors towards the internet */
	struct netaddr exit_v6;
	struct netaddr tunnel_v4;  /* source of errors the node sends into the tunnel */
	struct netaddr tunnel_v6;
	struct nat_config nat_config;
	uint16_t reserved_port; /* the listen port, never a masquerade port */

	volatile bool stop;
};

/* Metadata in each mbuf's private area, for packets crossing between workers and control. */
enum dp_msg_kind {
	DP_MSG_NONE,
	/* up: worker -> control */
	DP_UP_HANDSHAKE,      /* UDP payload is a WireGuard handshake or cookie message */
	DP_UP_STUN,           /* UDP payload is STUN */
	DP_UP_DISCO,          /* UDP payload is disco */
	DP_UP_NEIGHBOR,       /* an ARP or NA frame to learn from (Ethernet header kept) */
	DP_UP_NEED_NEIGHBOR,  /* an IP packet (no L2 header) waiting for next_hop on port_role */
	DP_UP_NEED_KEYPAIR,   /* an IP packet for peer_id waiting for a handshake */
	DP_UP_RELAY,          /* a WireGuard message for peer_id to send over DERP */
	DP_UP_NOTICE,         /* no payload: flags says which enum dp_notice, about peer_id */
	/* down: control -> worker */
	DP_DOWN_UDP,          /* payload to send from the listen port to dst */
	DP_DOWN_L3,           /* IP packet to send out port_role via next_hop (zero = route) */
	DP_DOWN_L2,           /* complete frame to send out port_role */
	DP_DOWN_PLAINTEXT,    /* IP packet to encrypt for peer_id and send */
	DP_DOWN_WG_RECEIVED,  /* WireGuard message that arrived by relay, to process as received */
	/* between workers: a packet for the NAT instance that owns its flow (exit.c) */
	DP_NAT_OUTBOUND,      /* from peer_id, to masquerade and send out of the exit port */
	DP_NAT_INBOUND,       /* return traffic for the exit address */
};

/* dp_meta.flags of a packet handed between workers on the exit path (exit.c). */
enum {
	/* put together from fragments by the node: it may be fragmented again, IPv6 too (as a
	 * fragmenting source would), where a whole IPv6 packet too big gets "packet too big" */
	DP_EXIT_REASSEMBLED = 1,
};

/* What a worker tells the control plane about a peer (DP_UP_NOTICE). */
enum dp_notice {
	DP_NOTICE_KEYPAIR_CONFIRMED, /* first data on the keypair with local index aux */
	DP_NOTICE_REKEY,             /* the current keypair is due for a new handshake */
	DP_NOTICE_ROAM,              /* authenticated packet from a new endpoint (src) */
};

struct dp_meta {
	uint8_t kind;      /* enum dp_msg_kind */
	uint8_t port_role; /* enum config_port_role */
	uint8_t worker;
	uint8_t flags;     /* DP_UP_NOTICE: enum dp_notice; DP_NAT_*: DP_EXIT_* */
	uint32_t peer_id;
	uint32_t aux;
	uint64_t time_ns;
	struct netendpoint src;
	struct netendpoint dst;
	struct netaddr next_hop;
};

static inline struct dp_meta *
dp_meta(struct rte_mbuf *m)
{
	return (struct dp_meta *)rte_mbuf_to_priv(m);
}

/* A new packet of len bytes from the data plane's pool: its data (with *m set), or NULL with
 * nothing allocated when the pool is empty or len does not fit one mbuf. */
static inline void *
dp_packet_new(const struct dataplane *dp, uint32_t len, struct rte_mbuf **m)
{
	void *data = NULL;

	*m = rte_pktmbuf_alloc(dp->pool);
	if (*m == NULL)
		return NULL;
	if (len <= UINT16_MAX)
		data = rte_pktmbuf_append(*m, (uint16_t)len);
	if (data == NULL) {
		rte_pktmbuf_free(*m);
		*m = NULL;
	}
	return data;
}

/* The UDP port WireGuard listens on; the control plane may change it (UAPI, reload). */
static inline uint16_t
dp_listen_port(const struct dataplane *dp)
{
	return __atomic_load_n(&dp->listen_port, __ATOMIC_RELAXED);
}

/* Monotonic nanoseconds (CLOCK_BOOTTIME, the clock of the WireGuard core: key ages compare
 * across the two sides); the vDSO makes this a memory read, not a system call. */
uint64_t dp_now_ns(void);

#endif
