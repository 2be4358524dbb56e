/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exitgate's own control socket (control.socket, mode 0600), spoken by exitgatectl. A request is
 * one line, "verb [--json]"; the reply is "OK\n" or "ERR <why>\n" followed by the body (human
 * text, or one JSON document with --json), and the connection closes.
 *
 *   status     node identity, ports, workers, peers with endpoint, path and last handshake,
 *              relay regions (state, latency, home)
 *   stats      counters per worker (with every drop reason), per port, per peer, control plane,
 *              relay regions (packets, bytes, connects, drops by reason)
 *   neighbors  the ARP/ND table
 *   metrics    the Prometheus text exposition (as control.metrics serves it, metrics.h)
 *   reload     re-read the config file (like SIGHUP); ERR with the file:line:column if refused
 */
#ifndef EXITGATE_CONTROL_CTL_H
#define EXITGATE_CONTROL_CTL_H

#include "ctl_request.h"
#include "node.h"

int ctl_open(struct node *node);
void ctl_close(struct node *node);

/* Answer one request framed by ctl_frame (ctl_request.h), for sockserver. */
bool ctl_handle(void *node, const char *request, size_t len, struct strbuf *out);

#endif
