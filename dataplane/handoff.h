/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rings between workers and the control plane. Up rings are multi-producer (every worker) and
 * single-consumer (the control loop). A worker that makes an up ring non-empty writes the
 * control plane's eventfd, so the epoll loop wakes without polling; while the ring stays
 * non-empty no further writes happen, so a flood costs one wake-up per drain, not one system
 * call per packet. Down rings are one per worker, single-producer single-consumer.
 */
#ifndef EXITGATE_DATAPLANE_HANDOFF_H
#define EXITGATE_DATAPLANE_HANDOFF_H

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"

int handoff_create(struct dataplane *dp);
void handoff_destroy(struct dataplane *dp);

/* Worker side: enqueue one packet; -1 when the ring is full (the caller drops and counts). */
int handoff_up(struct dataplane *dp, struct rte_ring *ring, struct rte_mbuf *m);

/* Control side: clear the eventfd (call before draining, so no wake-up is lost). */
void handoff_ack(struct dataplane *dp);
/* Control side: send a packet to a worker; -1 (and m freed) when that worker's ring is full. */
int handoff_down(struct dataplane *dp, unsigned int worker, struct rte_mbuf *m);

#endif
