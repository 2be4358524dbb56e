/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_ethdev.h>

#include "ctl.h"
#include "log.h"
#include "metrics.h"
#include "neighbor.h"
#include "path.h"
#include "relay.h"
#include "tailnet_glue.h"
#include "wg_node.h"
#include "worker.h"

/* The worker's NAT instance: sessions by protocol and every result, both directions. */
static void
worker_nat_stats(const struct worker *w, struct strbuf *out, bool json)
{
	struct nat_stats st;

	if (w->nat == NULL) {
		if (json)
			strbuf_puts(out, "}");
		return;
	}
	nat_stats_read(w->nat, &st);
	if (json) {
		strbuf_printf(out, "},\"nat\":{\"capacity\":%u,\"sessions_created\":%llu,"
				   "\"sessions_expired\":%llu,\"sessions\":{",
			      nat_capacity(w->nat), (unsigned long long)st.sessions_created,
			      (unsigned long long)st.sessions_expired);
		for (int p = 0; p < NAT_PROTO_COUNT; p++)
			strbuf_printf(out, "%s\"%s\":%llu", p ? "," : "",
				      nat_protocol_name((enum nat_protocol)p),
				      (unsigned long long)st.sessions[p]);
		strbuf_puts(out, "},\"outbound\":{");
		for (int r = 0; r < NAT_RESULT_COUNT; r++)
			strbuf_printf(out, "%s\"%s\":%llu", r ? "," : "",
				      nat_result_name((enum nat_result)r),
				      (unsigned long long)st.outbound[r]);
		strbuf_puts(out, "},\"inbound\":{");
		for (int r = 0; r < NAT_RESULT_COUNT; r++)
			strbuf_printf(out, "%s\"%s\":%llu", r ? "," : "",
				      nat_result_name((enum nat_result)r),
				      (unsigned long long)st.inbound[r]);
		strbuf_puts(out, "}}");
		return;
	}
	strbuf_printf(out, "  nat: %llu tcp, %llu udp, %llu icmp sessions (capacity %u), %llu created, "
			   "%llu expired\n",
		      (unsigned long long)st.sessions[NAT_PROTO_TCP],
		      (unsigned long long)st.sessions[NAT_PROTO_UDP],
		      (unsigned long long)st.sessions[NAT_PROTO_ICMP], nat_capacity(w->nat),
		      (unsigned long long)st.sessions_created, (unsigned long long)st.sessions_expired);
	for (int r = 0; r < NAT_RESULT_COUNT; r++) {
		if (st.outbound[r] + st.inbound[r] == 0)
			continue;
		strbuf_printf(out, "  nat %-22s out %llu in %llu\n", nat_result_name((enum nat_result)r),
			      (unsigned long long)st.outbound[r], (unsigned long long)st.inbound[r]);
	}
}

static void
worker_stats(struct node *node, struct strbuf *out, bool json)
{
	const struct dataplane *dp = node->dp;

	if (json)
		strbuf_puts(out, "\"workers\":[");
	for (unsigned int i = 0; i < dp->worker_count; i++) {
		const struct worker *w = dp->workers[i];
		bool first = true;

		if (json) {
			strbuf_printf(out, "%s{\"worker\":%u,\"lcore\":%u,\"counters\":{", i ? "," : "",
				      i, w->lcore);
		} else {
			strbuf_printf(out, "worker %u (lcore %u)\n", i, w->lcore);
		}
		for (int c = 0; c < WORKER_COUNTER_COUNT; c++) {
			uint64_t v = counter_read(&w->counters.value[c]);

			if (json)
				strbuf_printf(out, "%s\"%s\":%llu", c ? "," : "",
					      worker_counter_name((enum worker_counter)c),
					      (unsigned long long)v);
			else if (v != 0)
				strbuf_printf(out, "  %-22s %llu\n",
					      worker_counter_name((enum worker_counter)c),
					      (unsigned long long)v);
		}
		if (json)
			strbuf_puts(out, "},\"drops\":{");
		for (int d = 0; d < DROP_REASON_COUNT; d++) {
			uint64_t v = counter_read(&w->counters.drop[d]);

			if (json) {
				strbuf_printf(out, "%s\"%s\":%llu", first ? "" : ",",
					      drop_reason_name((enum drop_reason)d),
					      (unsigned long long)v);
				first = false;
			} else if (v != 0) {
				strbuf_printf(out, "  drop %-26s %llu  (%s)\n",
					      drop_reason_name((enum drop_reason)d),
					      (unsigned long long)v,
					      drop_reason_text((enum drop_reason)d));
			}
		}
		worker_nat_stats(w, out, json);
		if (json)
			strbuf_puts(out, "}");
	}
	if (json)
		strbuf_puts(out, "]");
}

static void
port_stats(struct node *node, struct strbuf *out, bool json)
{
	bool first = true;

	if (json)
		strbuf_puts(out, ",\"ports\":[");
	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		const struct dp_port *port = &node->dp->ports[role];
		struct rte_eth_stats st;

		if (!port->present || rte_eth_stats_get(port->eth_port, &st) != 0)
			continue;
		if (json) {
			strbuf_printf(out,
				      "%s{\"role\":\"%s\",\"name\":\"%s\",\"rx_packets\":%llu,"
				      "\"tx_packets\":%llu,\"rx_bytes\":%llu,\"tx_bytes\":%llu,"
				      "\"rx_missed\":%llu,\"rx_errors\":%llu,\"tx_errors\":%llu}",
				      first ? "" : ",", config_port_role_name(role), port->name,
				      (unsigned long long)st.ipackets, (unsigned long long)st.opackets,
				      (unsigned long long)st.ibytes, (unsigned long long)st.obytes,
				      (unsigned long long)st.imissed, (unsigned long long)st.ierrors,
				      (unsigned long long)st.oerrors);
			first = false;
		} else {
			strbuf_printf(out,
				      "port %s: rx %llu packets %llu bytes, tx %llu packets %llu "
				      "bytes, missed %llu, rx errors %llu, tx errors %llu\n",
				      port->name, (unsigned long long)st.ipackets,
				      (unsigned long long)st.ibytes, (unsigned long long)st.opackets,
				      (unsigned long long)st.obytes, (unsigned long long)st.imissed,
				      (unsigned long long)st.ierrors, (unsigned long long)st.oerrors);
		}
	}
	if (json)
		strbuf_puts(out, "]");
}

static void
control_stats(struct node *node, struct strbuf *out, bool json)
{
	if (json)
		strbuf_puts(out, ",\"control\":{");
	else
		strbuf_puts(out, "control plane\n");
	for (int c = 0; c < CONTROL_COUNTER_COUNT; c++) {
		if (json)
			strbuf_printf(out, "%s\"%s\":%llu", c ? "," : "", control_counter_name((enum control_counter)c),
				      (unsigned long long)node->counters[c]);
		else if (node->counters[c] != 0)
			strbuf_printf(out, "  %-22s %llu\n", control_counter_name((enum control_counter)c),
				      (unsigned long long)node->counters[c]);
	}
	if (json)
		strbuf_puts(out, "}");
}

static void
verb_stats(struct node *node, struct strbuf *out, bool json)
{
	if (json)
		strbuf_puts(out, "{");
	worker_stats(node, out, json);
	port_stats(node, out, json);
	control_stats(node, out, json);
	wg_node_stats(node->wg, out, json);
	relay_stats(node->relay, out, json);
	path_stats(node->path, out, json);
	strbuf_puts(out, json ? "}\n" : "");
}

static void
verb_status(struct node *node, struct strbuf *out, bool json)
{
	const struct config *c = node->config;
	uint64_t up_s = (loop_now() - node->started_ns) / 1000000000ull;
	bool first = true;

	if (json)
		strbuf_printf(out, "{\"interface\":\"%s\",\"listen_port\":%u,\"uptime_s\":%llu,"
				   "\"workers\":%u,\"ports\":[",
			      c->node.interface, c->node.listen_port, (unsigned long long)up_s,
			      node->dp->worker_count);
	else
		strbuf_printf(out, "interface %s, listen port %u, up %llus, %u worker%s\n",
			      c->node.interface, c->node.listen_port, (unsigned long long)up_s,
			      node->dp->worker_count, node->dp->worker_count == 1 ? "" : "s");
	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		const struct dp_port *port = &node->dp->ports[role];
		struct rte_eth_link link;
		char mac[RTE_ETHER_ADDR_FMT_SIZE], addr[NETADDR_TEXT_MAX];

		if (!port->present)
			continue;
		rte_eth_link_get_nowait(port->eth_port, &link);
		rte_ether_format_addr(mac, sizeof(mac), &port->mac);
		if (json) {
			strbuf_printf(out, "%s{\"role\":\"%s\",\"name\":\"%s\",\"mac\":\"%s\","
					   "\"link\":%s,\"addresses\":[",
				      first ? "" : ",", config_port_role_name(role), port->name, mac,
				      link.link_status ? "true" : "false");
			for (unsigned int i = 0; i < port->address_count; i++)
				strbuf_printf(out, "%s\"%s\"", i ? "," : "",
					      netprefix_format(&port->addresses[i], addr, sizeof(addr)));
			strbuf_printf(out, "],\"kernel_tap\":%s}", port->has_tap ? "true" : "false");
			first = false;
		} else {
			strbuf_printf(out, "port %s: %s, link %s, mac %s", config_port_role_name(role),
				      port->name, link.link_status ? "up" : "down", mac);
			for (unsigned int i = 0; i < port->address_count; i++)
				strbuf_printf(out, ", %s",
					      netprefix_format(&port->addresses[i], addr, sizeof(addr)));
			strbuf_printf(out, "%s\n", port->has_tap ? ", kernel TAP" : "");
		}
	}
	if (json)
		strbuf_puts(out, "],");
	wg_node_status(node->wg, out, json);
	relay_status(node->relay, out, json);
	tailnet_glue_status(node->tailnet, out, json);
	strbuf_puts(out, json ? "}\n" : "");
}

struct neighbor_print {
	struct strbuf *out;
	bool json;
	bool first;
};

static int
neighbor_print_one(const struct neighbor_info *info, void *arg)
{
	struct neighbor_print *p = arg;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], addr[NETADDR_TEXT_MAX];

	rte_ether_format_addr(mac, sizeof(mac), &info->mac);
	netaddr_format(&info->addr, addr, sizeof(addr));
	if (p->json)
		strbuf_printf(p->out, "%s{\"port\":\"%s\",\"address\":\"%s\",\"mac\":\"%s\","
				      "\"state\":\"%s\",\"age_ms\":%llu,\"queued\":%u}",
			      p->first ? "" : ",", config_port_role_name(info->role), addr, mac,
			      info->state, (unsigned long long)info->age_ms, info->queued);
	else
		strbuf_printf(p->out, "%-7s %-40s %s %-10s %llums queued %u\n",
			      config_port_role_name(info->role), addr, mac, info->state,
			      (unsigned long long)info->age_ms, info->queued);
	p->first = false;
	return 0;
}

static void
verb_neighbors(struct node *node, struct strbuf *out, bool json)
{
	struct neighbor_print p = {out, json, true};

	if (json)
		strbuf_puts(out, "{\"neighbors\":[");
	neighbor_walk(node->dp->neighbors, loop_now(), neighbor_print_one, &p);
	if (json)
		strbuf_puts(out, "]}\n");
}

/* ---- ping, why, netcheck: path selection's answers ---- */

struct ctl_ping {
	struct node *node;
	uint64_t ticket;
	char name[64];
	char address[NETADDR_TEXT_MAX];
};

/* The answer is JSON whatever was asked: exitgatectl prints the `tailscale ping` lines and
 * decides on --until-direct from it. */
static void
ping_done(void *ctx, const struct path_ping_result *res)
{
	struct ctl_ping *p = ctx;
	struct strbuf out;
	char ep[NETADDR_TEXT_MAX];
	const char *code = res->region != 0 ? path_region_code(p->node->path, res->region) : NULL;

	strbuf_init(&out, 4096);
	strbuf_puts(&out, "OK\n{\"peer\":");
	strbuf_json_string(&out, p->name);
	strbuf_printf(&out, ",\"address\":\"%s\",\"answered\":%s,\"direct\":%s,\"endpoint\":\"%s\","
			    "\"region\":%u,\"region_code\":",
		      p->address, res->answered ? "true" : "false", res->direct ? "true" : "false",
		      res->direct ? netendpoint_format(&res->from, ep, sizeof(ep)) : "",
		      res->region);
	strbuf_json_string(&out, code != NULL ? code : "");
	strbuf_printf(&out, ",\"latency_us\":%llu,\"error\":", (unsigned long long)res->latency_us);
	strbuf_json_string(&out, res->error);
	strbuf_puts(&out, "}\n");
	sockserver_answer(p->node->ctl, p->ticket, out.data != NULL ? out.data : "ERR no memory\n",
			  false);
	strbuf_free(&out);
	free(p);
}

static void
verb_ping(struct node *node, const struct ctl_request *req, struct strbuf *out)
{
	struct wg_node_peer *np = wg_node_find_peer(node->wg, req->target);
	const struct netprefix *ip;
	struct ctl_ping *p;

	if (np == NULL) {
		strbuf_printf(out, "ERR no peer %s\n", req->target);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		strbuf_puts(out, "ERR no memory\n");
		return;
	}
	p->node = node;
	snprintf(p->name, sizeof(p->name), "%s", wg_node_peer_name(np));
	ip = wg_node_peer_address(np);
	if (ip != NULL)
		netaddr_format(&ip->addr, p->address, sizeof(p->address));
	/* deferred first: path_ping may answer at once (a peer without a disco key) */
	p->ticket = sockserver_defer(node->ctl);
	if (path_ping(node->path, wg_node_peer_path(np), req->timeout_ms, ping_done, p) != 0) {
		sockserver_answer(node->ctl, p->ticket, "ERR no memory\n", false);
		free(p);
	}
}

struct ctl_netcheck {
	struct node *node;
	uint64_t ticket;
	bool json;
	int timer;
};

static uint64_t
netcheck_done(struct loop *loop, uint64_t now, void *arg)
{
	struct ctl_netcheck *n = arg;
	struct strbuf out;

	/* a round that is still waiting for its last answers: a little longer */
	if (path_netcheck_running(n->node->path))
		return now + 100000000ull;
	strbuf_init(&out, 1 << 20);
	strbuf_puts(&out, "OK\n");
	path_netcheck(n->node->path, &out, n->json);
	sockserver_answer(n->node->ctl, n->ticket, out.data != NULL ? out.data : "ERR no memory\n",
			  false);
	strbuf_free(&out);
	loop_del_timer(loop, n->timer);
	free(n);
	return LOOP_NEVER;
}

static void
verb_netcheck(struct node *node, const struct ctl_request *req, struct strbuf *out)
{
	struct ctl_netcheck *n;

	if (!req->run) {
		strbuf_puts(out, "OK\n");
		path_netcheck(node->path, out, req->json);
		return;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		strbuf_puts(out, "ERR no memory\n");
		return;
	}
	n->node = node;
	n->json = req->json;
	path_netcheck_start(node->path);
	/* the round ends after the STUN timeout at the latest */
	n->timer = loop_add_timer(node->loop, netcheck_done, n,
				  loop_now() + (PATH_STUN_TIMEOUT_MS + 200) * 1000000ull);
	if (n->timer < 0) {
		free(n);
		strbuf_puts(out, "ERR busy: no loop timer left\n");
		return;
	}
	n->ticket = sockserver_defer(node->ctl);
}

static void
verb_why(struct node *node, const struct ctl_request *req, struct strbuf *out)
{
	struct wg_node_peer *np = wg_node_find_peer(node->wg, req->target);

	if (np == NULL) {
		strbuf_printf(out, "ERR no peer %s\n", req->target);
		return;
	}
	strbuf_puts(out, "OK\n");
	path_why(node->path, wg_node_peer_path(np), out, req->json);
}

bool
ctl_handle(void *arg, const char *request, size_t len, struct strbuf *out)
{
	struct node *node = arg;
	struct ctl_request req;
	char why[128];

	if (ctl_parse_request(request, len, &req, why, sizeof(why)) != 0) {
		strbuf_printf(out, "ERR %s\n", why);
		return false;
	}
	switch (req.verb) {
	case CTL_STATUS:
		strbuf_puts(out, "OK\n");
		verb_status(node, out, req.json);
		break;
	case CTL_STATS:
		strbuf_puts(out, "OK\n");
		verb_stats(node, out, req.json);
		break;
	case CTL_NEIGHBORS:
		strbuf_puts(out, "OK\n");
		verb_neighbors(node, out, req.json);
		break;
	case CTL_PING:
		verb_ping(node, &req, out);
		break;
	case CTL_WHY:
		verb_why(node, &req, out);
		break;
	case CTL_NETCHECK:
		verb_netcheck(node, &req, out);
		break;
	case CTL_METRICS:
		/* the same text the listener serves; --json makes no sense for it */
		if (req.json) {
			strbuf_puts(out, "ERR metrics has no --json form (it is Prometheus text)\n");
			break;
		}
		strbuf_puts(out, "OK\n");
		metrics_render(node, out);
		break;
	case CTL_VERBS:
		break;
	case CTL_RELOAD: {
		struct strbuf reason;

		strbuf_init(&reason, 4096);
		if (node_reload(node, &reason) == 0)
			strbuf_printf(out, "OK\nreloaded %s\n", node->config_path);
		else
			strbuf_printf(out, "ERR %s\n",
				      reason.data != NULL ? reason.data : "reload failed");
		strbuf_free(&reason);
		break;
	}
	}
	return false;
}

int
ctl_open(struct node *node)
{
	const char *path = node->config->control.socket;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST) {
		log_error("control socket: mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	node->ctl = sockserver_open(node->loop, path, CTL_REQUEST_MAX, ctl_frame, ctl_handle, node);
	return node->ctl == NULL ? -1 : 0;
}

void
ctl_close(struct node *node)
{
	sockserver_close(node->ctl);
	node->ctl = NULL;
}
