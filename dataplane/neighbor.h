/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour table (ARP and IPv6 neighbour discovery results) per port role.
 *
 * Owner: the control plane. Workers only look entries up (lock-free rte_hash reads); every
 * change is made by the control loop: learning from ARP replies, neighbour adverts and requests
 * addressed to us (which workers pass up), sending requests for misses, holding a bounded queue
 * of packets per unresolved neighbour, re-probing entries in use, and ageing out the rest.
 * A resolved MAC is stored in one 64-bit word so a worker never reads half an update.
 *
 * Each worker keeps a small direct-mapped cache of the next hops it sent to (role and address ->
 * MAC), so that most packets skip the hash table (a 20-byte key hashed and compared). A cached
 * MAC is used only while the table's generation is the one it was read under: the control plane
 * bumps the generation whenever a resolved MAC changes or an entry goes, so a worker never sends
 * to a MAC the table no longer holds. And it is looked up again in the table every
 * NEIGHBOR_CACHE_RECHECK_MS, which marks the entry used: entries in use keep being re-probed and
 * are never aged out. The cache is the worker's own (no atomics) and holds no pointer into the
 * table, so nothing it holds can be freed under it.
 */
#ifndef EXITGATE_DATAPLANE_NEIGHBOR_H
#define EXITGATE_DATAPLANE_NEIGHBOR_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp.h"

enum {
	NEIGHBOR_MAX = 4096,
	NEIGHBOR_QUEUE_MAX = 64,         /* packets waiting per unresolved neighbour */
	NEIGHBOR_RETRY_MS = 1000,        /* between requests for an unresolved neighbour */
	NEIGHBOR_RETRIES = 3,            /* requests before the waiting packets are dropped */
	NEIGHBOR_FAILED_HOLD_MS = 5000,  /* a failed neighbour is not asked again before this */
	NEIGHBOR_REACHABLE_MS = 30000,   /* after this an entry in use is re-probed */
	NEIGHBOR_UNUSED_EXPIRE_MS = 300000, /* an entry nobody used this long is removed */
	NEIGHBOR_CACHE_SLOTS = 64,       /* next hops a worker remembers (power of two) */
	NEIGHBOR_CACHE_RECHECK_MS = 100, /* a remembered MAC is looked up in the table again */
};

struct neighbor_table;

struct neighbor_table *neighbor_table_create(struct dataplane *dp);
void neighbor_table_destroy(struct neighbor_table *t);

/*
 * Worker side: the MAC for next hop nh on a role's port, from the worker's cache or the table
 * (now_ns: the worker's clock). Returns true and fills mac when resolved. A table lookup marks
 * the entry used for this worker (one store, only when not yet marked).
 */
bool neighbor_lookup(struct neighbor_table *t, unsigned int worker, uint8_t role,
		     const struct netaddr *nh, uint64_t now_ns, struct rte_ether_addr *mac);

/* Control side. */
/* A packet (IP, no L2 header) waits for its next hop; takes ownership of m. */
void neighbor_resolve(struct neighbor_table *t, struct rte_mbuf *m, uint64_t now_ns);
/* A frame (ARP or ICMPv6 NA/NS with Ethernet header) to learn from; takes ownership of m. */
void neighbor_learn_frame(struct neighbor_table *t, struct rte_mbuf *m, uint64_t now_ns);
/* Record a mapping learnt some other way (tests, static entries). */
void neighbor_learn(struct neighbor_table *t, uint8_t role, const struct netaddr *addr,
		    const struct rte_ether_addr *mac, bool create, uint64_t now_ns);
/* Retries, re-probes and ageing; returns the next time (ns) it wants to run. */
uint64_t neighbor_tick(struct neighbor_table *t, uint64_t now_ns);

struct neighbor_info {
	uint8_t role;
	struct netaddr addr;
	struct rte_ether_addr mac;
	const char *state;
	uint64_t age_ms;
	unsigned int queued;
};
/* Walk the table for status output; cb returns non-zero to stop. */
void neighbor_walk(struct neighbor_table *t, uint64_t now_ns,
		   int (*cb)(const struct neighbor_info *info, void *arg), void *arg);

#endif
