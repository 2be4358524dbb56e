/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A node in a tailnet: the control client (control/tailnet) joined to the node. The netmap
 * drives the node: its peers become WireGuard peers (allowed IPs, disco key, endpoints, home
 * region for the relay), its DERP map replaces the config's (relay and STUN), its packet filter
 * becomes the workers' table (dataplane/acl.h); the node's endpoints and netcheck go back to
 * control (lite updates). Changes apply incrementally: a changed peer is updated in place, the
 * sessions of the others untouched. A control outage leaves all of it as it is (the client
 * keeps the last netmap); a peer removed on the server, or whose key expired, loses its tunnel.
 *
 * The client's socket is an ordinary kernel socket: on a DPDK node it leaves through the
 * public port's kernel TAP, like the DERP client's.
 *
 * Concurrency: main lcore only.
 */
#ifndef EXITGATE_CONTROL_TAILNET_GLUE_H
#define EXITGATE_CONTROL_TAILNET_GLUE_H

#include <stdbool.h>

#include "node.h"
#include "strbuf.h"

struct tailnet_glue;

/* The tailnet client for node->config's tailnet section (NULL without one, or on error, logged:
 * check node->config->tailnet.present to tell them apart). */
struct tailnet_glue *tailnet_glue_create(struct node *node);
void tailnet_glue_destroy(struct tailnet_glue *g);
/* Path selection found new endpoints or a new netcheck: publish them to control. */
void tailnet_glue_endpoints_changed(struct tailnet_glue *g);
/* `exitgatectl status` / `stats`: a JSON member ",\"tailnet\":{...}" with json, else text. */
void tailnet_glue_status(struct tailnet_glue *g, struct strbuf *out, bool json);

#endif
