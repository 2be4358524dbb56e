/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane.h"
#include "log.h"
#include "metrics.h"
#include "metrics_server.h"
#include "prom_text.h"
#include "relay.h"
#include "wg_node.h"

#ifndef EXITGATE_VERSION
#define EXITGATE_VERSION "unknown"
#endif

/* The workers' counters as metrics: name and help, in enum worker_counter's order. */
static const struct {
	const char *name;
	const char *help;
} worker_metrics[] = {
	{"exitgate_worker_rx_packets_total", "Frames the worker received from its ports and TAPs."},
	{"exitgate_worker_rx_bytes_total", "Bytes of the frames the worker received."},
	{"exitgate_worker_tx_packets_total", "Frames the worker sent out of its ports and TAPs."},
	{"exitgate_worker_tx_bytes_total", "Bytes of the frames the worker sent."},
	{"exitgate_worker_wg_rx_data_packets_total", "WireGuard data messages decrypted."},
	{"exitgate_worker_wg_rx_keepalives_total", "WireGuard keepalives received."},
	{"exitgate_worker_wg_rx_handshake_packets_total",
	 "WireGuard handshake messages passed to the control plane."},
	{"exitgate_worker_wg_tx_data_packets_total", "WireGuard data messages encrypted and sent."},
	{"exitgate_worker_wg_decrypted_bytes_total", "Plaintext bytes out of decrypted messages."},
	{"exitgate_worker_wg_encrypted_bytes_total", "Plaintext bytes encrypted for peers."},
	{"exitgate_worker_wg_tx_relay_packets_total",
	 "WireGuard messages handed to the control plane for the relay (DERP)."},
	{"exitgate_worker_wg_tx_both_packets_total",
	 "WireGuard messages sent both by UDP and through the relay (direct path unconfirmed)."},
	{"exitgate_worker_relay_copy_no_mbuf_total",
	 "Relay copies of a both-ways message lost for want of a packet buffer."},
	{"exitgate_worker_stun_rx_packets_total", "STUN messages received on the listen port."},
	{"exitgate_worker_disco_rx_packets_total", "Disco messages received on the listen port."},
	{"exitgate_worker_arp_replies_sent_total", "ARP replies the worker sent."},
	{"exitgate_worker_nd_adverts_sent_total", "Neighbour advertisements the worker sent."},
	{"exitgate_worker_icmp_echo_replies_total", "ICMP echo replies the worker sent."},
	{"exitgate_worker_to_kernel_packets_total", "Packets handed to a kernel TAP."},
	{"exitgate_worker_from_kernel_packets_total", "Packets taken from a kernel TAP."},
	{"exitgate_worker_to_control_packets_total", "Packets handed up to the control plane."},
	{"exitgate_worker_from_control_packets_total", "Packets taken from the control plane."},
	{"exitgate_worker_idle_sleeps_total", "Naps of adaptive idle."},
};
_Static_assert(sizeof(worker_metrics) / sizeof(worker_metrics[0]) == WORKER_COUNTER_COUNT,
	       "every worker counter has a metric");

static const uint64_t METRICS_NS_PER_S = 1000000000ull;

static double
seconds(uint64_t ns)
{
	return (double)ns / (double)METRICS_NS_PER_S;
}

static void
worker_label(char *buf, size_t size, unsigned int worker)
{
	snprintf(buf, size, "%u", worker);
}

/* ---- node and control plane ---- */

static void
node_metrics(struct node *node, struct strbuf *out)
{
	struct prom_label version = {"version", EXITGATE_VERSION};
	struct timespec rt;
	uint64_t up_ns = loop_now() - node->started_ns;
	struct loop_stats ls;
	char le[32];

	clock_gettime(CLOCK_REALTIME, &rt);
	prom_family(out, "exitgate_build_info", PROM_GAUGE, "exitgated's version, as a label.");
	prom_sample_u64(out, "exitgate_build_info", &version, 1, 1);
	prom_family(out, "exitgate_start_time_seconds", PROM_GAUGE,
		    "When exitgated started, in seconds since the Unix epoch.");
	prom_sample_f64(out, "exitgate_start_time_seconds", NULL, 0,
			(double)rt.tv_sec + rt.tv_nsec / 1e9 - seconds(up_ns));
	prom_family(out, "exitgate_workers", PROM_GAUGE, "Worker lcores of the data plane.");
	prom_sample_u64(out, "exitgate_workers", NULL, 0, node->dp->worker_count);

	for (int c = 0; c < CONTROL_COUNTER_COUNT; c++) {
		char name[96];

		snprintf(name, sizeof(name), "exitgate_control_%s_total",
			 control_counter_name((enum control_counter)c));
		prom_family(out, name, PROM_COUNTER, control_counter_text((enum control_counter)c));
		prom_sample_u64(out, name, NULL, 0, node_counter(node, (enum control_counter)c));
	}

	loop_stats(node->loop, &ls);
	prom_family(out, "exitgate_control_loop_lag_seconds", PROM_HISTOGRAM,
		    "How late the control loop ran its due timers, one observation per turn.");
	for (int b = 0; b < LOOP_LAG_BUCKETS; b++) {
		struct prom_label l = {"le", le};

		snprintf(le, sizeof(le), "%g", seconds(loop_lag_bucket_ns[b]));
		prom_sample_u64(out, "exitgate_control_loop_lag_seconds_bucket", &l, 1,
				ls.lag_buckets[b]);
	}
	{
		struct prom_label l = {"le", "+Inf"};

		prom_sample_u64(out, "exitgate_control_loop_lag_seconds_bucket", &l, 1,
				ls.lag_count);
	}
	prom_sample_f64(out, "exitgate_control_loop_lag_seconds_sum", NULL, 0,
			seconds(ls.lag_sum_ns));
	prom_sample_u64(out, "exitgate_control_loop_lag_seconds_count", NULL, 0, ls.lag_count);
	prom_family(out, "exitgate_control_loop_busy_seconds_total", PROM_COUNTER,
		    "Time the control loop spent working rather than waiting.");
	prom_sample_f64(out, "exitgate_control_loop_busy_seconds_total", NULL, 0,
			seconds(ls.busy_ns));
	prom_family(out, "exitgate_control_loop_turns_total", PROM_COUNTER,
		    "Turns of the control loop.");
	prom_sample_u64(out, "exitgate_control_loop_turns_total", NULL, 0, ls.turns);
}

/* ---- workers: counters, drops by reason, NAT ---- */

static void
worker_metrics_write(struct node *node, struct strbuf *out)
{
	const struct dataplane *dp = node->dp;
	unsigned int workers = dp->worker_count;
	struct worker_counters *wc = calloc(workers ? workers : 1, sizeof(*wc));
	char label[16];

	if (wc == NULL) {
		out->failed = true;
		return;
	}
	for (unsigned int w = 0; w < workers; w++)
		if (dataplane_worker_counters(dp, w, &wc[w]) != 0)
			memset(&wc[w], 0, sizeof(wc[w]));
	for (int c = 0; c < WORKER_COUNTER_COUNT; c++) {
		prom_family(out, worker_metrics[c].name, PROM_COUNTER, worker_metrics[c].help);
		for (unsigned int w = 0; w < workers; w++) {
			struct prom_label l = {"worker", label};

			worker_label(label, sizeof(label), w);
			prom_sample_u64(out, worker_metrics[c].name, &l, 1, wc[w].value[c]);
		}
	}
	prom_family(out, "exitgate_worker_drops_total", PROM_COUNTER,
		    "Packets the data plane dropped, by reason (exitgatectl stats explains each).");
	for (unsigned int w = 0; w < workers; w++) {
		worker_label(label, sizeof(label), w);
		for (int d = 0; d < DROP_REASON_COUNT; d++) {
			struct prom_label l[2] = {{"worker", label},
						  {"reason", drop_reason_name((enum drop_reason)d)}};

			prom_sample_u64(out, "exitgate_worker_drops_total", l, 2, wc[w].drop[d]);
		}
	}
	free(wc);
}

static void
nat_metrics(struct node *node, struct strbuf *out)
{
	const struct dataplane *dp = node->dp;
	unsigned int workers = dp->worker_count, with_nat = 0;
	struct nat_stats *st = calloc(workers ? workers : 1, sizeof(*st));
	uint32_t *capacity = calloc(workers ? workers : 1, sizeof(*capacity));
	bool *has = calloc(workers ? workers : 1, sizeof(*has));
	char label[16];

	if (st == NULL || capacity == NULL || has == NULL) {
		out->failed = true;
		goto out;
	}
	for (unsigned int w = 0; w < workers; w++) {
		has[w] = dataplane_worker_nat(dp, w, &st[w], &capacity[w]) == 0;
		with_nat += has[w];
	}
	if (with_nat == 0)
		goto out; /* no exit NAT on this node: no NAT series */
	prom_family(out, "exitgate_nat_sessions", PROM_GAUGE,
		    "NAT sessions in the worker's table, by protocol.");
	for (unsigned int w = 0; w < workers; w++) {
		if (!has[w])
			continue;
		worker_label(label, sizeof(label), w);
		for (int p = 0; p < NAT_PROTO_COUNT; p++) {
			struct prom_label l[2] = {
				{"worker", label}, {"protocol", nat_protocol_name((enum nat_protocol)p)}};

			prom_sample_u64(out, "exitgate_nat_sessions", l, 2, st[w].sessions[p]);
		}
	}
	prom_family(out, "exitgate_nat_sessions_capacity", PROM_GAUGE,
		    "Sessions the worker's NAT table holds at most.");
	for (unsigned int w = 0; w < workers; w++) {
		struct prom_label l = {"worker", label};

		if (!has[w])
			continue;
		worker_label(label, sizeof(label), w);
		prom_sample_u64(out, "exitgate_nat_sessions_capacity", &l, 1, capacity[w]);
	}
	prom_family(out, "exitgate_nat_sessions_created_total", PROM_COUNTER,
		    "NAT sessions created.");
	for (unsigned int w = 0; w < workers; w++) {
		struct prom_label l = {"worker", label};

		if (!has[w])
			continue;
		worker_label(label, sizeof(label), w);
		prom_sample_u64(out, "exitgate_nat_sessions_created_total", &l, 1,
				st[w].sessions_created);
	}
	prom_family(out, "exitgate_nat_sessions_expired_total", PROM_COUNTER,
		    "NAT sessions removed after their timeout.");
	for (unsigned int w = 0; w < workers; w++) {
		struct prom_label l = {"worker", label};

		if (!has[w])
			continue;
		worker_label(label, sizeof(label), w);
		prom_sample_u64(out, "exitgate_nat_sessions_expired_total", &l, 1,
				st[w].sessions_expired);
	}
	prom_family(out, "exitgate_nat_failures_total", PROM_COUNTER,
		    "Packets NAT did not translate, by direction and reason.");
	for (unsigned int w = 0; w < workers; w++) {
		if (!has[w])
			continue;
		worker_label(label, sizeof(label), w);
		for (int r = NAT_OK + 1; r < NAT_RESULT_COUNT; r++) {
			struct prom_label l[3] = {{"worker", label},
						  {"direction", "outbound"},
						  {"reason", nat_result_name((enum nat_result)r)}};

			prom_sample_u64(out, "exitgate_nat_failures_total", l, 3, st[w].outbound[r]);
			l[1].value = "inbound";
			prom_sample_u64(out, "exitgate_nat_failures_total", l, 3, st[w].inbound[r]);
		}
	}
out:
	free(st);
	free(capacity);
	free(has);
}

/* ---- ports ---- */

static void
port_metrics(struct node *node, struct strbuf *out)
{
	static const struct {
		const char *name;
		const char *help;
		size_t offset;
	} fields[] = {
		{"exitgate_port_rx_packets_total", "Packets the NIC received.",
		 offsetof(struct dp_port_stats, rx_packets)},
		{"exitgate_port_tx_packets_total", "Packets the NIC sent.",
		 offsetof(struct dp_port_stats, tx_packets)},
		{"exitgate_port_rx_bytes_total", "Bytes the NIC received.",
		 offsetof(struct dp_port_stats, rx_bytes)},
		{"exitgate_port_tx_bytes_total", "Bytes the NIC sent.",
		 offsetof(struct dp_port_stats, tx_bytes)},
		{"exitgate_port_rx_missed_packets_total",
		 "Packets the NIC dropped for want of a receive descriptor.",
		 offsetof(struct dp_port_stats, rx_missed)},
		{"exitgate_port_rx_errors_total", "Receive errors the NIC counted.",
		 offsetof(struct dp_port_stats, rx_errors)},
		{"exitgate_port_tx_errors_total", "Transmit errors the NIC counted.",
		 offsetof(struct dp_port_stats, tx_errors)},
	};
	struct dp_port_stats st[CONFIG_PORT_ROLES];
	bool has[CONFIG_PORT_ROLES];

	for (int role = 0; role < CONFIG_PORT_ROLES; role++)
		has[role] = dataplane_port_stats(node->dp, (enum config_port_role)role,
						 &st[role]) == 0;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		prom_family(out, fields[f].name, PROM_COUNTER, fields[f].help);
		for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
			struct prom_label l = {"port", config_port_role_name(role)};

			if (has[role])
				prom_sample_u64(out, fields[f].name, &l, 1,
						*(const uint64_t *)((const char *)&st[role] +
								    fields[f].offset));
		}
	}
}

/* ---- handshakes ---- */

static void
handshake_metrics(struct node *node, struct strbuf *out)
{
	const struct wg_device_stats *ds = wg_node_handshake_stats(node->wg);
	const struct {
		const char *name;
		const char *help;
		uint64_t value;
	} counters[] = {
		{"exitgate_handshake_initiations_sent_total", "Handshake initiations sent.",
		 ds->initiations_sent},
		{"exitgate_handshake_initiations_received_total",
		 "Handshake initiations received and taken.", ds->initiations_received},
		{"exitgate_handshake_responses_sent_total", "Handshake responses sent.",
		 ds->responses_sent},
		{"exitgate_handshake_responses_received_total",
		 "Handshake responses received and taken.", ds->responses_received},
		{"exitgate_handshake_cookie_replies_sent_total",
		 "Cookie replies sent (under load, to initiations without a valid cookie).",
		 ds->cookie_replies_sent},
		{"exitgate_handshake_cookie_replies_received_total", "Cookie replies received.",
		 ds->cookie_replies_received},
		{"exitgate_handshake_sessions_confirmed_total",
		 "Sessions confirmed by the first data on their keypair.", ds->sessions_confirmed},
	};

	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		prom_family(out, counters[i].name, PROM_COUNTER, counters[i].help);
		prom_sample_u64(out, counters[i].name, NULL, 0, counters[i].value);
	}
	prom_family(out, "exitgate_handshake_drops_total", PROM_COUNTER,
		    "Handshake messages (and messages to send) dropped, by reason.");
	for (int r = 0; r < WG_DROP_REASON_COUNT; r++) {
		struct prom_label l = {"reason", wg_drop_reason_name((enum wg_drop_reason)r)};

		prom_sample_u64(out, "exitgate_handshake_drops_total", &l, 1, ds->drops[r]);
	}
}

/* ---- relay regions and peers ---- */

struct region_list {
	struct relay_region_figures *regions;
	size_t count;
	size_t cap;
	uint64_t *peers; /* relayed peers per region, same order */
};

static int
region_collect(const struct relay_region_figures *region, void *arg)
{
	struct region_list *list = arg;

	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		struct relay_region_figures *grown =
			realloc(list->regions, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		list->regions = grown;
		list->cap = cap;
	}
	list->regions[list->count++] = *region;
	return 0;
}

/* What a walk over the peers writes: one family per walk, so a family's samples stay
 * together as the format requires. */
enum peer_family {
	PEER_COUNT_KINDS, /* no output: counts peers by path kind and region */
	PEER_RX_BYTES,
	PEER_TX_BYTES,
	PEER_RX_PACKETS,
	PEER_TX_PACKETS,
	PEER_HANDSHAKES,
	PEER_HANDSHAKE_AGE,
	PEER_PATH,
	PEER_FAMILIES
};

struct peer_walk {
	struct strbuf *out;
	enum peer_family family;
	uint64_t now_realtime_ns;
	uint64_t kinds[WG_NODE_PATH_KINDS];
	struct region_list *regions;
};

static int
peer_visit(const struct wg_node_peer_figures *p, void *arg)
{
	struct peer_walk *walk = arg;
	struct prom_label l[3] = {{"peer", p->name}};
	char region[16];

	switch (walk->family) {
	case PEER_COUNT_KINDS:
		walk->kinds[p->path]++;
		for (size_t i = 0; p->path == WG_NODE_PATH_RELAY && i < walk->regions->count; i++)
			if (walk->regions->regions[i].id == p->relay_region)
				walk->regions->peers[i]++;
		break;
	case PEER_RX_BYTES:
		prom_sample_u64(walk->out, "exitgate_peer_rx_bytes_total", l, 1, p->rx_bytes);
		break;
	case PEER_TX_BYTES:
		prom_sample_u64(walk->out, "exitgate_peer_tx_bytes_total", l, 1, p->tx_bytes);
		break;
	case PEER_RX_PACKETS:
		prom_sample_u64(walk->out, "exitgate_peer_rx_packets_total", l, 1, p->rx_packets);
		break;
	case PEER_TX_PACKETS:
		prom_sample_u64(walk->out, "exitgate_peer_tx_packets_total", l, 1, p->tx_packets);
		break;
	case PEER_HANDSHAKES:
		prom_sample_u64(walk->out, "exitgate_peer_handshakes_total", l, 1, p->handshakes);
		break;
	case PEER_HANDSHAKE_AGE:
		if (p->last_handshake_realtime_ns != 0) {
			uint64_t at = p->last_handshake_realtime_ns;

			prom_sample_f64(walk->out, "exitgate_peer_last_handshake_age_seconds", l, 1,
					seconds(walk->now_realtime_ns > at ? walk->now_realtime_ns - at
									   : 0));
		}
		break;
	case PEER_PATH:
		if (p->path == WG_NODE_PATH_RELAY && p->relay_region != 0)
			snprintf(region, sizeof(region), "%u", p->relay_region);
		else
			region[0] = '\0';
		l[1] = (struct prom_label){"kind", wg_node_path_kind_name(p->path)};
		l[2] = (struct prom_label){"region", region};
		prom_sample_u64(walk->out, "exitgate_peer_path", l, 3, 1);
		break;
	case PEER_FAMILIES:
		break;
	}
	return 0;
}

static void
peer_metrics(struct node *node, struct strbuf *out, struct region_list *regions)
{
	static const struct {
		const char *name;
		enum prom_type type;
		const char *help;
	} families[PEER_FAMILIES] = {
		[PEER_RX_BYTES] = {"exitgate_peer_rx_bytes_total", PROM_COUNTER,
				   "Bytes received from the peer (handshakes and data), as wg show."},
		[PEER_TX_BYTES] = {"exitgate_peer_tx_bytes_total", PROM_COUNTER,
				   "Bytes sent to the peer (handshakes and data), as wg show."},
		[PEER_RX_PACKETS] = {"exitgate_peer_rx_packets_total", PROM_COUNTER,
				     "Data messages received from the peer."},
		[PEER_TX_PACKETS] = {"exitgate_peer_tx_packets_total", PROM_COUNTER,
				     "Data messages sent to the peer."},
		[PEER_HANDSHAKES] = {"exitgate_peer_handshakes_total", PROM_COUNTER,
				     "Handshakes completed with the peer."},
		[PEER_HANDSHAKE_AGE] = {"exitgate_peer_last_handshake_age_seconds", PROM_GAUGE,
					"Time since the last completed handshake (absent: never)."},
		[PEER_PATH] = {"exitgate_peer_path", PROM_GAUGE,
			       "The peer's path now: kind direct, relay or none, and the relay "
			       "region; always 1."},
	};
	struct peer_walk walk = {.out = out, .regions = regions};
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	walk.now_realtime_ns = (uint64_t)rt.tv_sec * METRICS_NS_PER_S + (uint64_t)rt.tv_nsec;
	walk.family = PEER_COUNT_KINDS;
	wg_node_peer_walk(node->wg, peer_visit, &walk);
	prom_family(out, "exitgate_peers", PROM_GAUGE, "Peers by the kind of path they have now.");
	for (int k = 0; k < WG_NODE_PATH_KINDS; k++) {
		struct prom_label l = {"kind", wg_node_path_kind_name((enum wg_node_path_kind)k)};

		prom_sample_u64(out, "exitgate_peers", &l, 1, walk.kinds[k]);
	}
	prom_family(out, "exitgate_metrics_peer_series", PROM_GAUGE,
		    "1 when the per-peer series are written (control.metrics_peers), else 0.");
	prom_sample_u64(out, "exitgate_metrics_peer_series", NULL, 0,
			node->config->control.metrics_peers);
	if (!node->config->control.metrics_peers)
		return;
	for (int f = PEER_RX_BYTES; f < PEER_FAMILIES; f++) {
		prom_family(out, families[f].name, families[f].type, families[f].help);
		walk.family = (enum peer_family)f;
		wg_node_peer_walk(node->wg, peer_visit, &walk);
	}
}

static void
relay_metrics(struct node *node, struct strbuf *out, const struct region_list *list)
{
	static const char *const send_drops[] = {"not_connected", "queue_full", "rate_limited",
						 "too_big"};
	const struct {
		const char *name;
		enum prom_type type;
		const char *help;
	} families[] = {
		{"exitgate_relay_region_connected", PROM_GAUGE,
		 "1 while logged in to the region's DERP server."},
		{"exitgate_relay_region_home", PROM_GAUGE, "1 for the home region."},
		{"exitgate_relay_region_peers", PROM_GAUGE, "Peers relayed through the region now."},
		{"exitgate_relay_region_latency_seconds", PROM_GAUGE,
		 "Best DERP ping round trip of the window (absent: not measured)."},
		{"exitgate_relay_sent_packets_total", PROM_COUNTER, "Packets sent through the region."},
		{"exitgate_relay_sent_bytes_total", PROM_COUNTER, "Bytes sent through the region."},
		{"exitgate_relay_received_packets_total", PROM_COUNTER,
		 "Packets received through the region."},
		{"exitgate_relay_received_bytes_total", PROM_COUNTER,
		 "Bytes received through the region."},
		{"exitgate_relay_connect_attempts_total", PROM_COUNTER, "Connection attempts."},
		{"exitgate_relay_connects_total", PROM_COUNTER, "Logins completed."},
		{"exitgate_relay_connect_failures_total", PROM_COUNTER,
		 "Attempts that failed before the login completed."},
		{"exitgate_relay_disconnects_total", PROM_COUNTER, "Established connections lost."},
		{"exitgate_relay_ping_timeouts_total", PROM_COUNTER, "DERP pings left unanswered."},
		{"exitgate_relay_send_drops_total", PROM_COUNTER,
		 "Packets for the region dropped before sending, by reason."},
		{"exitgate_relay_receive_drops_total", PROM_COUNTER,
		 "Packets received through the region and refused, by reason."},
	};
	char id[16];

	prom_family(out, "exitgate_relay_home_changes_total", PROM_COUNTER,
		    "Times the home region changed.");
	prom_sample_u64(out, "exitgate_relay_home_changes_total", NULL, 0,
			relay_home_changes(node->relay));
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		prom_family(out, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < list->count; i++) {
			const struct relay_region_figures *r = &list->regions[i];
			struct prom_label l[3] = {{"region", id}, {"code", r->code}};
			const uint64_t *sd = &r->stats.drop_not_connected;
			uint64_t v = 0;

			snprintf(id, sizeof(id), "%u", r->id);
			switch (f) {
			case 0: v = r->connected; break;
			case 1: v = r->home; break;
			case 2: v = list->peers[i]; break;
			case 3:
				if (r->latency_known)
					prom_sample_f64(out, families[f].name, l, 2,
							r->latency_us / 1e6);
				continue;
			case 4: v = r->stats.packets_sent; break;
			case 5: v = r->stats.bytes_sent; break;
			case 6: v = r->stats.packets_received; break;
			case 7: v = r->stats.bytes_received; break;
			case 8: v = r->stats.connect_attempts; break;
			case 9: v = r->stats.connects; break;
			case 10: v = r->stats.connect_failures; break;
			case 11: v = r->stats.disconnects; break;
			case 12: v = r->ping_timeouts; break;
			case 13:
				/* the four send drops are consecutive members of derp_client_stats */
				for (size_t d = 0; d < 4; d++) {
					l[2] = (struct prom_label){"reason", send_drops[d]};
					prom_sample_u64(out, families[f].name, l, 3, sd[d]);
				}
				continue;
			case 14:
				for (int v2 = WG_NODE_RELAY_ACCEPTED + 1; v2 < WG_NODE_RELAY_VERDICTS;
				     v2++) {
					l[2] = (struct prom_label){
						"reason", wg_node_relay_verdict_name(
								  (enum wg_node_relay_verdict)v2)};
					prom_sample_u64(out, families[f].name, l, 3,
							r->rx_dropped[v2]);
				}
				continue;
			}
			prom_sample_u64(out, families[f].name, l, 2, v);
		}
	}
}

/* ---- the listener's own figures ---- */

static void
server_metrics(struct node *node, struct strbuf *out)
{
	struct metrics_server_stats st;

	if (node->metrics == NULL)
		return;
	metrics_server_stats(node->metrics, &st);
	prom_family(out, "exitgate_metrics_connections_accepted_total", PROM_COUNTER,
		    "Connections the metrics listener accepted.");
	prom_sample_u64(out, "exitgate_metrics_connections_accepted_total", NULL, 0, st.accepted);
	prom_family(out, "exitgate_metrics_connections", PROM_GAUGE,
		    "Connections to the metrics listener open now (this scrape's included).");
	prom_sample_u64(out, "exitgate_metrics_connections", NULL, 0, st.open);
	prom_family(out, "exitgate_metrics_requests_total", PROM_COUNTER,
		    "How the listener's connections ended, by outcome.");
	for (int o = 0; o < METRICS_OUTCOME_COUNT; o++) {
		struct prom_label l = {"outcome", metrics_outcome_name((enum metrics_outcome)o)};

		prom_sample_u64(out, "exitgate_metrics_requests_total", &l, 1, st.outcomes[o]);
	}
}

void
metrics_render(struct node *node, struct strbuf *out)
{
	struct region_list regions = {0};

	if (relay_region_walk(node->relay, region_collect, &regions) != 0 ||
	    (regions.peers = calloc(regions.count + 1, sizeof(*regions.peers))) == NULL) {
		out->failed = true;
		free(regions.regions);
		return;
	}
	node_metrics(node, out);
	worker_metrics_write(node, out);
	nat_metrics(node, out);
	port_metrics(node, out);
	handshake_metrics(node, out);
	peer_metrics(node, out, &regions);
	relay_metrics(node, out, &regions);
	server_metrics(node, out);
	free(regions.regions);
	free(regions.peers);
}

static void
render_for_server(void *arg, struct strbuf *out)
{
	metrics_render(arg, out);
}

int
metrics_open(struct node *node)
{
	const struct config_control *c = &node->config->control;

	if (!c->has_metrics)
		return 0;
	node->metrics = metrics_server_open(node->loop, &c->metrics, render_for_server, node);
	return node->metrics == NULL ? -1 : 0;
}

void
metrics_close(struct node *node)
{
	metrics_server_close(node->metrics);
	node->metrics = NULL;
}
