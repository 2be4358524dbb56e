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
 * Cardinality, stated (series of one scrape; counted in the metrics lab):
 *   the node        about 75 (build, loop, control counters, handshakes and their 27 drop
 *                   reasons, peers by path kind, the listener's own outcomes),
 *   per worker      72 (20 counters, 30 drop reasons, 22 NAT: 3 protocols, capacity, created,
 *                   expired, 2 directions x 8 failure reasons; no NAT series without exit),
 *   per port        7, per relay region 21 (13, and 4 send and 4 receive drop reasons),
 *   per peer        7 (rx/tx bytes, rx/tx packets, handshakes, handshake age, path; 6 before
 *                   the first handshake),
 * so the lab's node (1 worker, 2 ports, 1 region, 3 peers) writes 202. 100k peers would add
 * 700k series, which is why control.metrics_peers: false leaves the per-peer series out; the
 * per-kind peer counts and the per-region relayed peers stay. The text is written on the
 * control loop, about 1 us a series (exitgate_control_loop_lag_seconds shows the cost).
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
