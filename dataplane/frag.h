/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP fragments on the exit path.
 *  - Reassembly: fragments to be masqueraded, those arriving for the exit address and those a
 *    client sends through the tunnel, are put back together per worker (DPDK's ip_frag tables)
 *    before NAT, which needs the ports of the whole datagram (a non-first fragment has none).
 *    A datagram that does not fit one mbuf after reassembly (over FRAG_WHOLE_MAX bytes) is
 *    dropped and counted; the common case, a packet just over a 1500-byte link or a 1420-byte
 *    tunnel, fits.
 *  - Splitting: an IPv4 packet without DF that is bigger than the link it leaves by (the
 *    tunnel or the egress) is cut into fragments, each in a contiguous mbuf of its own, since
 *    encryption works on one buffer. IPv6 routers never fragment (a whole packet too big gets
 *    "packet too big"), but a datagram the node reassembled left its source in fragments, so
 *    it is fragmented again, as its source would have (frag_ipv6_split).
 * Fragments of one datagram must meet on one worker: NICs hash fragments by addresses only
 * (ENA and others put them all on one queue), af_packet's fanout defragments first, and a
 * peer's datagrams all arrive on one worker (RSS on the outer UDP flow).
 */
#ifndef EXITGATE_DATAPLANE_FRAG_H
#define EXITGATE_DATAPLANE_FRAG_H

#include <stdbool.h>
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

/* Split m (data at an IPv6 header without extension headers, as reassembly leaves it) into
 * fragments of at most mtu bytes with a fragment header each; m is consumed. */
void frag_ipv6_split(struct worker *w, struct rte_mbuf *m, uint32_t mtu,
		     void (*out)(struct worker *w, struct rte_mbuf *fragment, void *arg), void *arg);

/* frag_ipv4_split or frag_ipv6_split, by the packet's version. */
void frag_split(struct worker *w, struct rte_mbuf *m, uint32_t mtu,
		void (*out)(struct worker *w, struct rte_mbuf *fragment, void *arg), void *arg);

/* Is this IP packet (v4 or v6) a fragment? */
bool frag_is_fragment(const uint8_t *ip);

/* A fragment (data at its IP header): the whole datagram in one contiguous mbuf once all pieces
 * are in, else NULL (the piece is kept, or dropped and counted). An IPv4 datagram's header
 * checksum is valid again. */
struct rte_mbuf *frag_reassemble(struct worker *w, struct rte_mbuf *m);

/* Free what reassembly let go (call once per loop iteration). */
void frag_tick(struct worker *w);

#endif
