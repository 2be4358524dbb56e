/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "ctl.h"
#include "handoff.h"
#include "log.h"
#include "metrics.h"
#include "neighbor.h"
#include "netif.h"
#include "node.h"
#include "path.h"
#include "relay.h"
#include "tailnet_glue.h"
#include "uapi_server.h"
#include "wg_node.h"

enum {
	UPCALL_BUDGET = 512, /* packets per turn, so sockets and timers are never starved */
	RECLAIM_INTERVAL_MS = 10,
};

static const char *const control_counter_names[] = {
#define CONTROL_COUNTER_NAME(name, text) #name,
	CONTROL_COUNTERS(CONTROL_COUNTER_NAME)
#undef CONTROL_COUNTER_NAME
};

static const char *const control_counter_texts[] = {
#define CONTROL_COUNTER_TEXT(name, text) text,
	CONTROL_COUNTERS(CONTROL_COUNTER_TEXT)
#undef CONTROL_COUNTER_TEXT
};

const char *
control_counter_name(enum control_counter counter)
{
	return counter < CONTROL_COUNTER_COUNT ? control_counter_names[counter] : "unknown";
}

const char *
control_counter_text(enum control_counter counter)
{
	return counter < CONTROL_COUNTER_COUNT ? control_counter_texts[counter] : "unknown";
}

uint64_t
node_counter(const struct node *node, enum control_counter counter)
{
	return counter < CONTROL_COUNTER_COUNT ? node->counters[counter] : 0;
}

void
node_down(struct node *node, unsigned int worker, struct rte_mbuf *m)
{
	if (handoff_down(node->dp, worker, m) != 0)
		node->counters[CC_downcalls_refused]++;
}

static void
upcall_dispatch(struct node *node, struct rte_mbuf *m, uint64_t now)
{
	struct dp_meta *meta = dp_meta(m);

	node->counters[CC_upcalls]++;
	switch (meta->kind) {
	case DP_UP_HANDSHAKE:
		wg_node_handshake(node->wg, m, rte_ring_count(node->dp->up_handshake));
		return;
	case DP_UP_NEED_KEYPAIR:
		wg_node_need_keypair(node->wg, m);
		return;
	case DP_UP_NOTICE:
		wg_node_notice(node->wg, m);
		return;
	case DP_UP_NEIGHBOR:
		neighbor_learn_frame(node->dp->neighbors, m, now);
		return;
	case DP_UP_NEED_NEIGHBOR:
		neighbor_resolve(node->dp->neighbors, m, now);
		return;
	case DP_UP_STUN:
	case DP_UP_DISCO:
		/* path selection owns both (its STUN client and disco); a segmented mbuf would be a
		 * jumbo frame, which neither protocol sends */
		if (rte_pktmbuf_is_contiguous(m))
			path_udp_input(node->path, &meta->src, rte_pktmbuf_mtod(m, const uint8_t *),
				       rte_pktmbuf_data_len(m));
		break;
	case DP_UP_RELAY:
		relay_send_upcall(node->relay, m);
		return;
	default:
		break;
	}
	rte_pktmbuf_free(m);
}

/* Drain the up rings within a budget; returns true when packets are left for the next turn. */
static bool
upcalls_drain(struct node *node)
{
	struct rte_mbuf *pkts[64];
	unsigned int done = 0, n;
	uint64_t now = loop_now();

	handoff_ack(node->dp);
	/* handshakes first: their queue depth is what "under load" measures */
	while (done < UPCALL_BUDGET &&
	       (n = rte_ring_dequeue_burst(node->dp->up_handshake, (void **)pkts, 64, NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++)
			upcall_dispatch(node, pkts[i], now);
		done += n;
	}
	while (done < 2 * UPCALL_BUDGET &&
	       (n = rte_ring_dequeue_burst(node->dp->up_other, (void **)pkts, 64, NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++)
			upcall_dispatch(node, pkts[i], now);
		done += n;
	}
	wg_node_flush(node->wg);
	/* nothing left: say so to the workers, unless something arrived while we looked */
	return !handoff_wait(node->dp);
}

static void
upcall_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct node *node = arg;

	(void)fd;
	(void)events;
	if (upcalls_drain(node))
		loop_timer_at(loop, node->upcall_timer, loop_now());
}

/* Continues a drain that ran out of budget. */
static uint64_t
upcall_continue(struct loop *loop, uint64_t now, void *arg)
{
	struct node *node = arg;

	(void)loop;
	return upcalls_drain(node) ? now : LOOP_NEVER;
}

static uint64_t
neighbor_timer(struct loop *loop, uint64_t now, void *arg)
{
	struct node *node = arg;

	(void)loop;
	return neighbor_tick(node->dp->neighbors, now);
}

static uint64_t
reclaim_timer(struct loop *loop, uint64_t now, void *arg)
{
	struct node *node = arg;

	(void)loop;
	dataplane_reclaim(node->dp);
	return now + RECLAIM_INTERVAL_MS * 1000000ull;
}

static uint64_t
wg_timer(struct loop *loop, uint64_t now, void *arg)
{
	struct node *node = arg;

	(void)loop;
	return wg_node_tick(node->wg, now);
}

int
node_reload(struct node *node, struct strbuf *why)
{
	char error[CONFIG_ERROR_MAX];
	struct config *fresh = config_load_file(node->config_path, error, sizeof(error));

	if (fresh == NULL) {
		log_warn("reload: %s; keeping the running configuration", error);
		strbuf_puts(why, error);
		node->counters[CC_reloads_refused]++;
		return -1;
	}
	if (wg_node_apply_config(node->wg, fresh, why) != 0) {
		log_warn("reload: %s; keeping the running configuration", why->data ? why->data : "");
		config_free(fresh);
		node->counters[CC_reloads_refused]++;
		return -1;
	}
	/* the relay compares with the running config: before the swap */
	relay_apply_config(node->relay, fresh);
	path_apply_config(node->path, fresh);
	log_set_level((enum log_level)fresh->log_level);
	/* the data plane keeps pointing at the config it started with (ports, workers); only
	 * what can change at run time was applied, so the old struct stays until shutdown */
	config_free(node->config);
	node->config = fresh;
	node->counters[CC_reloads]++;
	log_info("reload: %s applied, %zu peers", node->config_path, fresh->peer_count);
	return 0;
}

/* ---- path selection's hooks: how its decisions and packets reach the other modules ---- */

static void
path_hook_send_udp(void *ctx, const struct netendpoint *dst, const uint8_t *data, size_t len)
{
	struct node *node = ctx;
	struct rte_mbuf *m;
	struct dp_meta *meta;
	void *p = dp_packet_new(node->dp, (uint32_t)len, &m);

	if (p == NULL) {
		node->counters[CC_downcalls_refused]++;
		return;
	}
	memcpy(p, data, len);
	meta = dp_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->kind = DP_DOWN_UDP;
	meta->dst = *dst;
	meta->port_role = CONFIG_PORT_PUBLIC;
	node_down(node, 0, m);
}

static int
path_hook_send_derp(void *ctx, const uint8_t node_key[PATH_KEY_LEN], const uint8_t *data,
		    size_t len)
{
	struct node *node = ctx;

	return node->relay != NULL ? relay_send(node->relay, node_key, data, len) : -1;
}

static void
path_hook_route_changed(void *ctx, void *peer_user, const struct path_route *route)
{
	(void)ctx;
	wg_node_apply_route(peer_user, route);
}

static uint32_t
path_hook_relay_home(void *ctx, bool *connected)
{
	struct node *node = ctx;

	*connected = false;
	if (node->relay != NULL)
		return relay_home_region(node->relay, connected);
	/* before the relay exists (peers are added first): a DERP map means there will be one */
	return node->config->derp.region_count != 0 ? node->config->derp.regions[0].region_id : 0;
}

static uint32_t
path_hook_relay_region_of(void *ctx, const uint8_t node_key[PATH_KEY_LEN])
{
	struct node *node = ctx;

	return node->relay != NULL ? relay_region_of_peer(node->relay, node_key) : 0;
}

static void
path_hook_endpoints_changed(void *ctx)
{
	struct node *node = ctx;

	/* a tailnet's control server publishes them to the peers (a lite update) */
	tailnet_glue_endpoints_changed(node->tailnet);
}

static bool
relay_disco(void *ctx, const uint8_t src[KEY_LEN], const uint8_t *packet, size_t len)
{
	struct node *node = ctx;

	return path_derp_input(node->path, src, packet, len);
}

static int
path_open(struct node *node)
{
	const struct dp_port *pub = &node->dp->ports[CONFIG_PORT_PUBLIC];
	struct path_config pc = {
		.loop = node->loop,
		.config = node->config,
		.public_addresses = pub->addresses,
		.public_address_count = pub->address_count,
		.public_gateway = pub->gateway,
		.hooks = {
			.ctx = node,
			.send_udp = path_hook_send_udp,
			.send_derp = path_hook_send_derp,
			.route_changed = path_hook_route_changed,
			.relay_home = path_hook_relay_home,
			.relay_region_of = path_hook_relay_region_of,
			.endpoints_changed = path_hook_endpoints_changed,
		},
	};

	memcpy(pc.node_private_key, node->config->node.private_key, KEY_LEN);
	node->path = path_create(&pc);
	sodium_memzero(pc.node_private_key, sizeof(pc.node_private_key));
	return node->path != NULL ? 0 : -1;
}

static void
signal_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct node *node = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct strbuf why;

			strbuf_init(&why, 4096);
			node_reload(node, &why);
			strbuf_free(&why);
			continue;
		}
		log_info("signal %u: stopping", si.ssi_signo);
		loop_stop(loop);
	}
}

static int
signals_open(struct node *node)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	node->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (node->signal_fd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return -1;
	}
	return loop_add_fd(node->loop, node->signal_fd, EPOLLIN, signal_event, node);
}

/*
 * The kernel side of the interfaces the data plane made: a role's slow-path TAP carries that
 * port's addresses (so kernel sockets bind to them); the inner host-facing device carries the
 * host's tunnel addresses with the tunnel MTU.
 */
static int
kernel_interfaces_setup(struct node *node)
{
	const struct config *c = node->config;

	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		const struct dp_port *port = &node->dp->ports[role];
		const struct config_port *cp = &c->ports[role];

		if (!port->present)
			continue;
		if (port->has_tap &&
		    netif_setup(port->tap_ifname, cp->addresses, cp->address_count, cp->mtu) != 0)
			return -1;
		if (port->host_facing && netif_setup(port->kernel_ifname, cp->addresses,
						     cp->address_count, c->node.mtu) != 0)
			return -1;
	}
	return 0;
}

static void
node_teardown(struct node *node)
{
	metrics_close(node);
	ctl_close(node);
	uapi_server_close(node);
	/* it feeds the relay, the WireGuard peers and the data plane: it goes before them */
	tailnet_glue_destroy(node->tailnet);
	node->tailnet = NULL;
	/* its callbacks feed the WireGuard module: it goes first */
	relay_destroy(node->relay);
	node->relay = NULL;
	if (node->dp != NULL)
		dataplane_stop(node->dp);
	wg_node_destroy(node->wg);
	node->wg = NULL;
	/* after the peers (each held a path peer) */
	path_destroy(node->path);
	node->path = NULL;
	dataplane_destroy(node->dp);
	node->dp = NULL;
	if (node->signal_fd >= 0)
		close(node->signal_fd);
	loop_destroy(node->loop);
}

int
node_run(const char *config_path, struct config *config, const char *program)
{
	struct node node = {.config = config, .signal_fd = -1};
	int rc = 1;

	(void)program;
	node.config_path = strdup(config_path);
	node.started_ns = loop_now();
	node.loop = loop_create();
	if (node.config_path == NULL || node.loop == NULL)
		goto out;
	node.dp = dataplane_create(config);
	if (node.dp == NULL)
		goto out;
	if (kernel_interfaces_setup(&node) != 0)
		goto out;
	/* path selection first: every peer the WireGuard module adds gets its path state */
	if (path_open(&node) != 0)
		goto out;
	node.wg = wg_node_create(&node);
	if (node.wg == NULL)
		goto out;
	node.relay = relay_create(&node);
	if (node.relay == NULL)
		goto out;
	relay_set_disco_handler(node.relay, relay_disco, &node);
	/* a tailnet's netmap drives peers, relay and filter: everything it feeds exists now */
	node.tailnet = tailnet_glue_create(&node);
	if (node.tailnet == NULL && config->tailnet.present)
		goto out;
	if (signals_open(&node) != 0 ||
	    loop_add_fd(node.loop, node.dp->up_eventfd, EPOLLIN, upcall_event, &node) != 0)
		goto out;
	node.upcall_timer = loop_add_timer(node.loop, upcall_continue, &node, LOOP_NEVER);
	loop_timer_at(node.loop, node.upcall_timer, LOOP_NEVER);
	if (loop_add_timer(node.loop, neighbor_timer, &node, 0) < 0 ||
	    loop_add_timer(node.loop, reclaim_timer, &node, 0) < 0 ||
	    loop_add_timer(node.loop, wg_timer, &node, 0) < 0)
		goto out;
	if (uapi_server_open(&node) != 0 || ctl_open(&node) != 0 || metrics_open(&node) != 0)
		goto out;
	if (dataplane_launch(node.dp) != 0)
		goto out;
	log_info("running: %u worker%s, listen port %u, %zu peer%s", node.dp->worker_count,
		 node.dp->worker_count == 1 ? "" : "s", config->node.listen_port, config->peer_count,
		 config->peer_count == 1 ? "" : "s");
	rc = loop_run(node.loop) == 0 ? 0 : 1;
out:
	node_teardown(&node);
	/* the data plane may still point into the first config; it is gone now */
	config_free(node.config);
	free(node.config_path);
	return rc;
}
