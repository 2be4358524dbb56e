/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Everything the node sends over UDP from its listen port (encrypted data, handshakes, STUN,
 * disco) leaves by the public port, from the public address of the destination's family: the
 * split-routing promise that a peer always sees one address and port, whatever egress does.
 */
#ifndef EXITGATE_DATAPLANE_UDP_OUT_H
#define EXITGATE_DATAPLANE_UDP_OUT_H

#include <rte_mbuf.h>

#include "worker.h"

/* m holds the UDP payload at its data start; prepends UDP and IP headers and sends. */
void udp_output_public(struct worker *w, struct rte_mbuf *m, const struct netendpoint *dst);

#endif
