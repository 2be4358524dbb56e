/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_errno.h>

#include "handoff.h"
#include "log.h"
#include "worker.h"

int
handoff_create(struct dataplane *dp)
{
	uint32_t depth = dp->config->dataplane.handshake_queue;

	dp->up_eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->control_waiting = 1; /* nobody drains yet: the first packet must wake the loop */
	if (dp->up_eventfd < 0) {
		log_error("handoff: eventfd: %s", strerror(errno));
		return -1;
	}
	dp->up_handshake = rte_ring_create("up_handshake", depth, SOCKET_ID_ANY, RING_F_SC_DEQ);
	dp->up_other = rte_ring_create("up_other", 8192, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (dp->up_handshake == NULL || dp->up_other == NULL) {
		log_error("handoff: rte_ring_create: %s", rte_strerror(rte_errno));
		handoff_destroy(dp);
		return -1;
	}
	return 0;
}

static void
ring_drain_free(struct rte_ring *r)
{
	struct rte_mbuf *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void
handoff_destroy(struct dataplane *dp)
{
	ring_drain_free(dp->up_handshake);
	ring_drain_free(dp->up_other);
	dp->up_handshake = dp->up_other = NULL;
	if (dp->up_eventfd >= 0)
		close(dp->up_eventfd);
	dp->up_eventfd = -1;
}

int
handoff_up(struct dataplane *dp, struct rte_ring *ring, struct rte_mbuf *m)
{
	uint64_t one = 1;

	if (rte_ring_enqueue(ring, m) != 0)
		return -1;
	/* the enqueue must be visible before we look at the flag (store-load ordering) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dp->control_waiting, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&dp->control_waiting, 0, __ATOMIC_SEQ_CST)) {
		ssize_t rc = write(dp->up_eventfd, &one, sizeof(one));

		(void)rc; /* EAGAIN: the counter is already non-zero, a wake-up is pending */
	}
	return 0;
}

bool
handoff_wait(struct dataplane *dp)
{
	__atomic_store_n(&dp->control_waiting, 1, __ATOMIC_SEQ_CST);
	if (rte_ring_empty(dp->up_handshake) && rte_ring_empty(dp->up_other))
		return true;
	__atomic_store_n(&dp->control_waiting, 0, __ATOMIC_SEQ_CST);
	return false;
}

void
handoff_ack(struct dataplane *dp)
{
	uint64_t value;
	ssize_t rc = read(dp->up_eventfd, &value, sizeof(value));

	(void)rc; /* EAGAIN: nothing pending */
}

int
handoff_down(struct dataplane *dp, unsigned int worker, struct rte_mbuf *m)
{
	struct worker *w = dp->workers[worker % dp->worker_count];

	if (rte_ring_enqueue(w->down, m) != 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	return 0;
}
