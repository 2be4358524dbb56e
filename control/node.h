/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A running exitgate node: the configuration in force, the control loop, the data plane and the
 * control-plane modules hanging off the loop (WireGuard handshakes and timers, the UAPI socket,
 * exitgate's control socket, signals). The main lcore runs node_run until SIGINT/SIGTERM.
 */
#ifndef EXITGATE_CONTROL_NODE_H
#define EXITGATE_CONTROL_NODE_H

#include <stdint.h>

#include "config.h"
#include "dataplane.h"
#include "loop.h"
#include "sockserver.h"
#include "strbuf.h"

#define CONTROL_COUNTERS(X) \
	X(upcalls, "packets and notices taken from the workers") \
	X(downcalls_refused, "packets a worker's down ring refused") \
	X(relay_unavailable, "packets for a relayed peer with no relay region to go through") \
	X(reloads, "configurations reloaded") \
	X(reloads_refused, "reloads refused (bad file); the running config was kept")

enum control_counter {
#define CONTROL_COUNTER_ENUM(name, text) CC_##name,
	CONTROL_COUNTERS(CONTROL_COUNTER_ENUM)
#undef CONTROL_COUNTER_ENUM
	CONTROL_COUNTER_COUNT
};

struct wg_node;
struct relay;
struct path;
struct tailnet_glue;
struct metrics_server;

struct node {
	char *config_path;
	struct config *config;
	struct loop *loop;
	struct dataplane *dp;
	struct wg_node *wg;
	struct relay *relay;
	struct path *path; /* path selection: where each peer's packets go (control/path) */
	struct tailnet_glue *tailnet; /* the tailnet's control client, or NULL (standalone) */
	struct sockserver *uapi;
	struct sockserver *ctl;
	struct metrics_server *metrics; /* control.metrics, NULL when off */
	int signal_fd;
	int upcall_timer;
	uint64_t started_ns;
	uint64_t counters[CONTROL_COUNTER_COUNT];
};

const char *control_counter_name(enum control_counter counter);
const char *control_counter_text(enum control_counter counter);
uint64_t node_counter(const struct node *node, enum control_counter counter);

/* Run a node from a loaded config (ownership passes to the node); returns the exit status. */
int node_run(const char *config_path, struct config *config, const char *program);

/* Send a packet to a worker (down ring); counts and frees it when refused. */
void node_down(struct node *node, unsigned int worker, struct rte_mbuf *m);
/* Re-read the config file and apply it; on failure the running config stays and why says so. */
int node_reload(struct node *node, struct strbuf *why);

#endif
