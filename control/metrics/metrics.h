/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exitgated's metrics in Prometheus's text exposition format: `exitgatectl metrics` on the
 * control socket, and GET /metrics on the optional listener (control.metrics, metrics_server.h).
 *
 * This module owns the names, and only the names: every figure is asked of the subsystem that
 * keeps it, through a function that subsystem exposes (dataplane_worker_counters,
 * dataplane_worker_nat, dataplane_port_stats, wg_node_peer_walk, wg_node_handshake_stats,
 * relay_region_walk, node_counter, loop_stats); it never reads their structs.
 *
 * Naming: an `exitgate_` prefix, counters end in `_total`, base units (bytes, seconds), what
 * varies within a family is a label (worker, reason, port, peer, region, kind). The full list
 * is in README.md ("Operating a node"); promtool check metrics passes on it (the metrics lab).
 *
 * Cardinality, stated: a node with W workers, R relay regions and P peers exposes
 *   per worker  20 counters + 30 drop reasons + 15 NAT series (3 protocols, capacity, created,
 *               expired, 2 directions x 8 failure reasons would be 16: only reasons seen are
 *               written) -> at most 20 + 30 + 21 = 71 series,
 *   per port    7, per region 14, the rest of the node about 60,
 *   per peer    6 (rx/tx bytes, rx/tx packets, handshakes, handshake age) + 1 path series,
 * so 1 worker, 3 ports and 2 regions make about 180 series, and every peer adds 7: a node with
 * 100k peers would add 700k, which is why control.metrics_peers: false leaves the per-peer
 * series out (the per-kind peer counts stay). Writing the text takes about 1 us a series on the
 * control loop (the lag histogram shows it).
 *
 * Concurrency: main lcore only.
 */
#ifndef EXITGATE_CONTROL_METRICS_H
#define EXITGATE_CONTROL_METRICS_H

#include "node.h"
#include "strbuf.h"

/* Open the listener when control.metrics is set; 0, or -1 after logging why. */
int metrics_open(struct node *node);
void metrics_close(struct node *node);

/* The whole exposition, as one scrape sees it. */
void metrics_render(struct node *node, struct strbuf *out);

#endif
