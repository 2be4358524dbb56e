/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rings between workers and the control plane. Up rings are multi-producer (every worker) and
 * single-consumer (the control loop). Wake-ups follow the classic waiter-flag protocol: when the
 * control plane has drained the rings it sets control_waiting and looks once more; a worker that
 * enqueues and finds the flag set clears it and writes the eventfd. Sequentially consistent
 * operations on both sides guarantee that either the worker sees the flag or the control plane
 * sees the packet, so no packet waits for the next one; and a flood costs one eventfd write per
 * drain, not one system call per packet. Down rings are one per worker, single-producer
 * single-consumer, polled by the worker.
 */
#ifndef EXITGATE_DATAPLANE_HANDOFF_H
#define EXITGATE_DATAPLANE_HANDOFF_H

#include <stdbool.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"

int handoff_create(struct dataplane *dp);
void handoff_destroy(struct dataplane *dp);

/* Worker side: enqueue one packet; -1 when the ring is full (the caller drops and counts). */
int handoff_up(struct dataplane *dp, struct rte_ring *ring, struct rte_mbuf *m);

/* Control side: clear the eventfd (call before draining). */
void handoff_ack(struct dataplane *dp);
/* Control side, after draining: announce that it waits; false when packets arrived meanwhile
 * (then keep draining). */
bool handoff_wait(struct dataplane *dp);
/* Control side: send a packet to a worker; -1 (and m freed) when that worker's ring is full. */
int handoff_down(struct dataplane *dp, unsigned int worker, struct rte_mbuf *m);

#endif
