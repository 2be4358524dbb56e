/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP fragments on the exit path.
 *  - Splitting: an IPv4 packet without DF that is bigger than the tunnel MTU is cut into
 *    fragments, each in a contiguous mbuf of its own, since encryption works on one buffer.
 *    (IPv6 routers never fragment: such packets get "packet too big".)
 *  - Reassembly: fragments that arrive for the exit address are put back together per worker
 *    (DPDK's ip_frag tables) before NAT, which needs the ports of the whole datagram. A datagram
 *    that does not fit one mbuf after reassembly (over FRAG_WHOLE_MAX bytes) is dropped and
 *    counted; the common case, a packet just over a 1500-byte link, fits.
 * Fragments of one datagram must meet on one worker: NICs hash fragments by addresses only
 * (ENA and others put them all on one queue) and af_packet's fanout defragments first.
 */
#ifndef EXITGATE_DATAPLANE_FRAG_H
#define EXITGATE_DATAPLANE_FRAG_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "worker.h"

enum {
	FRAG_TABLE_BUCKETS = 1024,
	FRAG_TABLE_ENTRIES = 4096,
	FRAG_TIMEOUT_MS = 2000,
	FRAG_WHOLE_MAX = 1900, /* reassembled datagrams larger than this are dropped */
};

int frag_worker_init(struct worker *w);
void frag_worker_fini(struct worker *w);

/* Split m (data at an IPv4 header, DF clear) into fragments of at most mtu bytes; each goes to
 * out(w, fragment, arg); m is consumed. */
void frag_ipv4_split(struct worker *w, struct rte_mbuf *m, uint32_t mtu,
		     void (*out)(struct worker *w, struct rte_mbuf *fragment, void *arg), void *arg);

/* A fragment (data at its IP header): the whole datagram in one contiguous mbuf once all pieces
 * are in, else NULL (the piece is kept, or dropped and counted). */
struct rte_mbuf *frag_reassemble(struct worker *w, struct rte_mbuf *m);

/* Free what reassembly let go (call once per loop iteration). */
void frag_tick(struct worker *w);

#endif
