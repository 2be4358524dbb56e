/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane as the control plane (exitgated's main lcore) sees it: start it from the
 * config, run the workers, stop them. The control plane then talks to the workers only through
 * the rings and the RCU-published tables named in dp.h.
 */
#ifndef EXITGATE_DATAPLANE_DATAPLANE_H
#define EXITGATE_DATAPLANE_DATAPLANE_H

#include "config.h"
#include "dp.h"

/* After rte_eal_init: ports, packet pool, rings, RCU, workers (not yet running). */
struct dataplane *dataplane_create(const struct config *config);
/* Launch the workers on their lcores. */
int dataplane_launch(struct dataplane *dp);
/* Ask the workers to stop and wait for them. */
void dataplane_stop(struct dataplane *dp);
/* Free everything (workers must be stopped). */
void dataplane_destroy(struct dataplane *dp);

/* Reclaim objects retired through the RCU defer queue; call from the control loop. */
void dataplane_reclaim(struct dataplane *dp);
/* Retire an object: free_fn(obj) runs once every worker has passed a quiescent state. */
int dataplane_retire(struct dataplane *dp, void *obj, void (*free_fn)(void *obj));
/* Publish the tailnet's packet filter (acl.h; the data plane owns it from now on; NULL: allow
 * everything); the table it replaces is freed after a grace period. */
struct dp_acl;
void dataplane_set_acl(struct dataplane *dp, struct dp_acl *acl);

/* Sum of every worker's counters. */
void dataplane_counters(const struct dataplane *dp, struct worker_counters *sum);

/*
 * Figures for the control plane's reports (stats, metrics), read with relaxed loads of the
 * workers' single-writer counters: safe while the workers run.
 */
/* One worker's counters; 0, or -1 when there is no such worker. */
int dataplane_worker_counters(const struct dataplane *dp, unsigned int worker,
			      struct worker_counters *out);
/* One worker's NAT instance: its counters and capacity; 0, or -1 when it has none. */
int dataplane_worker_nat(const struct dataplane *dp, unsigned int worker, struct nat_stats *st,
			 uint32_t *capacity);

struct dp_port_stats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t rx_missed; /* dropped by the NIC: no free descriptor */
	uint64_t rx_errors;
	uint64_t tx_errors;
};

/* A role's NIC counters (rte_eth_stats_get); 0, or -1 when the role has no port or the driver
 * gives none. */
int dataplane_port_stats(const struct dataplane *dp, enum config_port_role role,
			 struct dp_port_stats *out);

#endif
