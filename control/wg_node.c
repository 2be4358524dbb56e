/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <sodium.h>

#include "device.h"
#include "log.h"
#include "path.h"
#include "peer.h"
#include "relay.h"
#include "wg_data.h"
#include "wg_node.h"

struct wg_node_peer {
	struct wg_node *wn;
	struct wg_peer *dev;
	struct dp_peer *dp;
	char *name;
	struct netprefix *allowed_ips;
	size_t allowed_ip_count;
	uint16_t keepalive;
	enum config_peer_path pin; /* peers[].path: auto, or pinned */
	bool has_config_endpoint;  /* the endpoint the config (or `wg set`) names: path selection
				      takes it as a candidate; roaming moves on from it */
	struct netendpoint config_endpoint;
	bool has_disco_key;        /* peers[].disco_key */
	uint8_t disco_key[KEY_LEN];
	struct path_peer *path;    /* its path state (control/path owns the decision) */
	struct path_route route;   /* where its packets go, as path selection last said */
	bool tailnet;              /* from the tailnet's netmap: a YAML reload leaves it alone */
	struct netendpoint *endpoints; /* the netmap's endpoints of it (path candidates) */
	size_t endpoint_count;
	uint64_t seen_rx_ns;
	uint64_t seen_rx_data_ns;
	uint64_t seen_tx_data_ns;
	struct wg_node_peer *next;
};

struct wg_node {
	struct node *node;
	struct dataplane *dp;
	struct wg_device *dev;
	struct wg_device_datapath datapath;
	struct wg_node_peer *peers;
	size_t peer_count;
	bool has_private_key;
	uint8_t private_key[KEY_LEN];
	uint32_t fwmark;
	uint64_t next_sync_ns;
};

static struct dp_keypair *
dp_keypair_of(struct wg_keypair *kp)
{
	/* wg_keypair is the first member of dp_keypair (dataplane/wg_data.h) */
	return (struct dp_keypair *)kp;
}

/* ---- data path hooks: keypairs live in the data plane's objects ---- */

static struct wg_keypair *
hook_keypair_alloc(void *arg, struct wg_peer *peer)
{
	struct wg_node *wn = arg;
	struct wg_node_peer *np = wg_peer_user(peer);
	struct dp_keypair *kp = dp_keypair_alloc(wn->dp, np->dp);

	return kp != NULL ? &kp->kp : NULL;
}

static void
hook_keypair_publish(void *arg, struct wg_peer *peer, struct wg_keypair *kp)
{
	struct wg_node *wn = arg;

	(void)peer;
	if (dp_keypair_publish(wn->dp, dp_keypair_of(kp)) != 0)
		log_warn("wg: index table full: keypair %08x unreachable for workers",
			 kp->local_index);
}

static void
hook_keypair_retire(void *arg, struct wg_keypair *kp)
{
	struct wg_node *wn = arg;

	dp_keypair_remove(wn->dp, dp_keypair_of(kp));
}

/* ---- publishing the device's decisions to the workers ---- */

/* The device's current keypair to the workers; where packets go is the route's business. */
static void
peer_sync(struct wg_node_peer *np)
{
	struct wg_keypair *kp = np->dev->remote.keypair_current;
	struct dp_keypair *want = kp != NULL ? dp_keypair_of(kp) : NULL;

	if (atomic_load_explicit(&np->dp->current, memory_order_relaxed) != want)
		dp_peer_set_current(np->dp, want);
}

void
wg_node_apply_route(void *peer_user, const struct path_route *route)
{
	struct wg_node_peer *np = peer_user;
	enum dp_send_mode mode = route->udp && route->relay ? DP_SEND_BOTH
				 : route->relay              ? DP_SEND_RELAY
							     : DP_SEND_UDP;

	np->route = *route;
	/* the endpoint first: a worker that sees the new mode finds the endpoint it needs */
	dp_peer_set_endpoint(np->wn->dp, np->dp, route->udp ? &route->endpoint : NULL);
	dp_peer_set_send_mode(np->dp, mode);
	/* the device sends handshakes and keepalives where the route says (wg_node_flush) */
	wg_peer_set_relayed(np->dev, route->relay);
	wg_peer_set_endpoint(np->dev, route->udp ? &route->endpoint : NULL);
}

static void
path_config_of(const struct wg_node_peer *np, struct path_peer_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->name = np->name;
	memcpy(pc->node_key, np->dp->public_key, KEY_LEN);
	pc->has_disco_key = np->has_disco_key;
	memcpy(pc->disco_key, np->disco_key, KEY_LEN);
	pc->pin = np->pin;
	pc->has_endpoint = np->has_config_endpoint;
	pc->endpoint = np->config_endpoint;
	pc->endpoints = np->endpoints;
	pc->endpoint_count = np->endpoint_count;
	/* a peer of the YAML file or `wg set` may be another exitgate node: it gets a Hello over
	 * DERP (a stock WireGuard client is not on the relay, so it never sees one); a tailnet
	 * peer is a Tailscale client whose disco key and endpoints come from control */
	pc->exitgate = !np->tailnet;
	if (np->allowed_ip_count != 0)
		pc->tunnel_address = np->allowed_ips[0].addr;
}

static void
peer_path_update(struct wg_node_peer *np)
{
	struct path_peer_config pc;

	path_config_of(np, &pc);
	path_peer_update(np->path, &pc);
}

static void
sync_all(struct wg_node *wn)
{
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next)
		peer_sync(np);
}

static int
publish_allowed_ips(struct wg_node *wn)
{
	struct allowedips_entry *entries;
	size_t n = 0, total = 0;
	int rc;

	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next)
		total += np->allowed_ip_count;
	entries = calloc(total ? total : 1, sizeof(*entries));
	if (entries == NULL)
		return -1;
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next)
		for (size_t i = 0; i < np->allowed_ip_count; i++)
			entries[n++] = (struct allowedips_entry){np->allowed_ips[i], np->dp};
	rc = dp_allowedips_publish(wn->dp, entries, n);
	free(entries);
	if (rc != 0)
		log_warn("wg: allowed-IPs table: out of memory; keeping the previous one");
	return rc;
}

/* ---- peers ---- */

static struct wg_node_peer *
peer_find(struct wg_node *wn, const uint8_t public_key[KEY_LEN])
{
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next)
		if (sodium_memcmp(np->dp->public_key, public_key, KEY_LEN) == 0)
			return np;
	return NULL;
}

static struct wg_node_peer *
peer_of_id(struct wg_node *wn, uint32_t id)
{
	struct dp_peer *dp = wg_data_peer(wn->dp, id);

	for (struct wg_node_peer *np = wn->peers; dp != NULL && np != NULL; np = np->next)
		if (np->dp == dp)
			return np;
	return NULL;
}

static struct wg_node_peer *
peer_add(struct wg_node *wn, const uint8_t public_key[KEY_LEN], const char *name)
{
	struct wg_node_peer *np = calloc(1, sizeof(*np)), **tail;
	char label[32];

	if (np == NULL)
		return NULL;
	np->wn = wn;
	if (name == NULL) {
		char b64[KEY_BASE64_LEN + 1];

		key_to_base64(b64, public_key);
		snprintf(label, sizeof(label), "%.8s", b64);
		name = label;
	}
	np->name = strdup(name);
	np->dp = dp_peer_add(wn->dp, public_key);
	if (np->name == NULL || np->dp == NULL)
		goto fail;
	np->dev = wg_device_add_peer(wn->dev, public_key);
	if (np->dev == NULL)
		goto fail;
	wg_peer_set_user(np->dev, np);
	{
		struct path_peer_config pc;

		path_config_of(np, &pc);
		np->path = path_peer_add(wn->node->path, &pc, np);
	}
	if (np->path == NULL) {
		wg_device_remove_peer(wn->dev, np->dev);
		goto fail;
	}
	for (tail = &wn->peers; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = np;
	wn->peer_count++;
	return np;
fail:
	if (np->dp != NULL)
		dp_peer_remove(wn->dp, np->dp);
	free(np->name);
	free(np);
	return NULL;
}

static void
peer_free(struct wg_node *wn, struct wg_node_peer *np)
{
	path_peer_remove(np->path);
	free(np->endpoints);
	dp_peer_remove(wn->dp, np->dp);
	free(np->allowed_ips);
	free(np->name);
	free(np);
}

static void
peer_remove(struct wg_node *wn, struct wg_node_peer *np)
{
	struct wg_node_peer **pp;

	for (pp = &wn->peers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == np) {
			*pp = np->next;
			break;
		}
	}
	wn->peer_count--;
	/* the device retires the keypairs through the hooks before the peer goes */
	wg_device_remove_peer(wn->dev, np->dev);
	peer_free(wn, np);
}

static int
peer_set_allowed_ips(struct wg_node_peer *np, const struct netprefix *ips, size_t n)
{
	struct netprefix *copy = NULL;

	if (n != 0) {
		copy = malloc(n * sizeof(*copy));
		if (copy == NULL)
			return -1;
		memcpy(copy, ips, n * sizeof(*copy));
	}
	free(np->allowed_ips);
	np->allowed_ips = copy;
	np->allowed_ip_count = n;
	return 0;
}

/* `wg set endpoint` or a changed configured endpoint: path selection decides what it means
 * (pinned direct and stock WireGuard peers move there at once, as in WireGuard). */
static void
peer_set_endpoint(struct wg_node_peer *np, const struct netendpoint *ep)
{
	np->has_config_endpoint = true;
	np->config_endpoint = *ep;
	peer_path_update(np);
}

static void
peer_set_keepalive(struct wg_node_peer *np, uint16_t keepalive)
{
	bool starting = keepalive != 0 && np->keepalive == 0;

	np->keepalive = keepalive;
	wg_peer_set_persistent_keepalive(np->dev, keepalive);
	/* as WireGuard does: turning it on sends one at once, opening the path */
	if (starting && (np->route.udp || np->route.relay))
		wg_device_send_keepalive(np->wn->dev, np->dev);
}

/* Fields of a configured peer, on a new or existing peer. */
static int
peer_apply_config(struct wg_node_peer *np, const struct config_peer *cp)
{
	if (strcmp(np->name, cp->name) != 0) {
		char *name = strdup(cp->name);

		if (name == NULL)
			return -1;
		free(np->name);
		np->name = name;
	}
	wg_peer_set_psk(np->dev, cp->has_preshared_key ? cp->preshared_key : NULL);
	/* path selection keeps roaming unless the configured endpoint itself changed */
	np->has_config_endpoint = cp->has_endpoint;
	np->config_endpoint = cp->endpoint;
	np->pin = cp->path;
	np->has_disco_key = cp->has_disco_key;
	memcpy(np->disco_key, cp->disco_key, KEY_LEN);
	if (peer_set_allowed_ips(np, cp->allowed_ips, cp->allowed_ip_count) != 0)
		return -1;
	peer_path_update(np);
	peer_set_keepalive(np, cp->persistent_keepalive);
	return 0;
}

/* ---- life cycle ---- */

struct wg_node *
wg_node_create(struct node *node)
{
	const struct config *c = node->config;
	struct wg_node *wn = calloc(1, sizeof(*wn));
	struct wg_device_config dc = {0};

	if (wn == NULL)
		return NULL;
	wn->node = node;
	wn->dp = node->dp;
	wn->datapath = (struct wg_device_datapath){
		.arg = wn,
		.keypair_alloc = hook_keypair_alloc,
		.keypair_publish = hook_keypair_publish,
		.keypair_retire = hook_keypair_retire,
	};
	dc.datapath = &wn->datapath;
	/* room for every configured peer and as many again added at run time (UAPI) */
	dc.max_peers = (uint32_t)(c->peer_count * 2 > 1024 ? c->peer_count * 2 : 1024);
	if (dc.max_peers > DP_PEER_SLOTS)
		dc.max_peers = DP_PEER_SLOTS;
	dc.handshake_queue_capacity = c->dataplane.handshake_queue;
	dc.mtu = (uint16_t)c->node.mtu;
	wn->dev = wg_device_new(&dc);
	if (wn->dev == NULL)
		goto fail;
	memcpy(wn->private_key, c->node.private_key, KEY_LEN);
	wn->has_private_key = true;
	if (wg_device_set_private_key(wn->dev, wn->private_key) != 0)
		goto fail;
	for (size_t i = 0; i < c->peer_count; i++) {
		struct wg_node_peer *np = peer_add(wn, c->peers[i].public_key, c->peers[i].name);

		if (np == NULL || peer_apply_config(np, &c->peers[i]) != 0) {
			log_error("wg: peer %s: cannot add it (out of memory or peer limit)",
				  c->peers[i].name);
			goto fail;
		}
	}
	if (publish_allowed_ips(wn) != 0)
		goto fail;
	sync_all(wn);
	return wn;
fail:
	wg_node_destroy(wn);
	return NULL;
}

void
wg_node_destroy(struct wg_node *wn)
{
	struct wg_node_peer *np, *next;

	if (wn == NULL)
		return;
	/* the device retires every keypair through the hooks; then the peers can go */
	wg_device_free(wn->dev);
	for (np = wn->peers; np != NULL; np = next) {
		next = np->next;
		peer_free(wn, np);
	}
	sodium_memzero(wn->private_key, sizeof(wn->private_key));
	free(wn);
}

/* ---- upcalls ---- */

void
wg_node_handshake(struct wg_node *wn, struct rte_mbuf *m, uint32_t queue_depth)
{
	struct dp_meta *meta = dp_meta(m);
	struct wg_rx_result result;

	wg_device_set_handshake_queue_depth(wn->dev, queue_depth);
	wg_device_receive_handshake(wn->dev, &meta->src, rte_pktmbuf_mtod(m, uint8_t *),
				    rte_pktmbuf_data_len(m), &result);
	if (result.peer != NULL) {
		struct wg_node_peer *np = wg_peer_user(result.peer);

		/* an authenticated handshake by UDP: where the peer is (roaming, or a candidate) */
		if (result.verdict == WG_RX_HANDSHAKE)
			path_peer_heard(np->path, &meta->src, meta->time_ns);
		peer_sync(np);
	}
	rte_pktmbuf_free(m);
}

void
wg_node_need_keypair(struct wg_node *wn, struct rte_mbuf *m)
{
	struct wg_node_peer *np = peer_of_id(wn, dp_meta(m)->peer_id);

	if (np != NULL) {
		/* staged in the device, which starts (or waits for) the handshake */
		wg_device_send(wn->dev, np->dev, rte_pktmbuf_mtod(m, uint8_t *),
			       rte_pktmbuf_data_len(m));
		peer_sync(np);
	}
	rte_pktmbuf_free(m);
}

void
wg_node_notice(struct wg_node *wn, struct rte_mbuf *m)
{
	struct dp_meta *meta = dp_meta(m);
	struct wg_node_peer *np = peer_of_id(wn, meta->peer_id);

	if (np != NULL) {
		switch ((enum dp_notice)meta->flags) {
		case DP_NOTICE_KEYPAIR_CONFIRMED:
			wg_device_datapath_confirmed(wn->dev, meta->aux);
			break;
		case DP_NOTICE_REKEY:
			wg_device_initiate(wn->dev, np->dev);
			break;
		case DP_NOTICE_ROAM:
			/* path selection decides (the packet received last wins) */
			path_peer_heard(np->path, &meta->src, meta->time_ns);
			break;
		}
		peer_sync(np);
	}
	rte_pktmbuf_free(m);
}

/* A cookie reply to a relay source names the sender by its key's first bytes: it is one of the
 * peers that may use the relay, the only ones whose relayed messages are taken. */
static void
cookie_to_relay(struct wg_node *wn, const struct wg_outbound *out)
{
	struct wg_node_peer *np;

	for (np = wn->peers; np != NULL; np = np->next)
		if (np->pin != CONFIG_PATH_DIRECT &&
		    memcmp(np->dp->public_key, out->to.addr.bytes, sizeof(out->to.addr.bytes)) == 0)
			break;
	if (np == NULL) {
		wn->node->counters[CC_relay_unavailable]++;
		return;
	}
	relay_send(wn->node->relay, np->dp->public_key, out->data, out->len);
}

static void
flush_udp(struct wg_node *wn, struct wg_node_peer *np, const struct netendpoint *to,
	  const struct wg_outbound *out)
{
	struct rte_mbuf *m;
	struct dp_meta *meta;
	char *data;

	m = rte_pktmbuf_alloc(wn->dp->pool);
	if (m == NULL || (data = rte_pktmbuf_append(m, (uint16_t)out->len)) == NULL) {
		rte_pktmbuf_free(m);
		wn->node->counters[CC_downcalls_refused]++;
		return;
	}
	memcpy(data, out->data, out->len);
	meta = dp_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->kind = DP_DOWN_UDP;
	meta->dst = *to;
	meta->port_role = CONFIG_PORT_PUBLIC;
	/* one peer's messages keep their order on one worker */
	node_down(wn->node, np != NULL ? (np->dp->id & DP_PEER_SLOT_MASK) : 0, m);
}

void
wg_node_flush(struct wg_node *wn)
{
	struct wg_outbound out;

	while (wg_device_pop_output(wn->dev, &out)) {
		struct wg_node_peer *np = out.peer != NULL ? wg_peer_user(out.peer) : NULL;

		if (np == NULL) {
			/* a cookie reply: back where the message came from */
			if (wg_source_is_relay(&out.to))
				cookie_to_relay(wn, &out);
			else
				flush_udp(wn, NULL, &out.to, &out);
			continue;
		}
		/* handshakes and keepalives go the way the route says, like the data: by UDP, by
		 * the relay, or both while the direct path is unconfirmed */
		if (np->route.relay)
			relay_send(wn->node->relay, np->dp->public_key, out.data, out.len);
		if (np->route.udp)
			flush_udp(wn, np, &np->route.endpoint, &out);
		if (!np->route.relay && !np->route.udp)
			wn->node->counters[CC_relay_unavailable]++;
	}
}

/* ---- the relay ---- */

enum wg_node_relay_verdict
wg_node_relay_input(struct wg_node *wn, const uint8_t src[KEY_LEN], const uint8_t *msg,
		    size_t len)
{
	struct wg_peer *peer = wg_device_find_peer(wn->dev, src);
	struct wg_node_peer *np = peer != NULL ? wg_peer_user(peer) : NULL;
	enum wg_message_type type = wg_message_type_of(msg, len);
	struct rte_mbuf *m;
	struct dp_meta *meta;
	char *data;

	if (np == NULL)
		return WG_NODE_RELAY_UNKNOWN_PEER;
	/* every peer may come through the relay but one pinned to its direct path */
	if (np->pin == CONFIG_PATH_DIRECT)
		return WG_NODE_RELAY_NOT_RELAY_PEER;
	if (type == 0 || !wg_message_length_valid(type, len))
		return WG_NODE_RELAY_NOT_WIREGUARD;
	if (type != WG_MSG_TRANSPORT) {
		struct netendpoint source;
		struct wg_rx_result result;

		/* the device drops (and counts) what it does not take; replies go out at the
		 * caller's next wg_node_flush, over the relay */
		wg_relay_source(&source, src);
		wg_device_receive_handshake(wn->dev, &source, msg, len, &result);
		if (result.peer != NULL)
			peer_sync(wg_peer_user(result.peer));
		return WG_NODE_RELAY_ACCEPTED;
	}
	/* data: the worker that owns the peer's traffic decrypts it, without a source endpoint
	 * (nothing to roam to) */
	m = rte_pktmbuf_alloc(wn->dp->pool);
	if (m == NULL || len > UINT16_MAX ||
	    (data = rte_pktmbuf_append(m, (uint16_t)len)) == NULL) {
		rte_pktmbuf_free(m);
		return WG_NODE_RELAY_NO_MBUF;
	}
	memcpy(data, msg, len);
	meta = dp_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->kind = DP_DOWN_WG_RECEIVED;
	meta->port_role = CONFIG_PORT_PUBLIC;
	meta->peer_id = np->dp->id;
	node_down(wn->node, np->dp->id & DP_PEER_SLOT_MASK, m);
	return WG_NODE_RELAY_ACCEPTED;
}

const char *
wg_node_relay_verdict_name(enum wg_node_relay_verdict verdict)
{
	static const char *const names[WG_NODE_RELAY_VERDICTS] = {
		[WG_NODE_RELAY_ACCEPTED] = "accepted",
		[WG_NODE_RELAY_UNKNOWN_PEER] = "unknown_peer",
		[WG_NODE_RELAY_NOT_RELAY_PEER] = "not_relay_peer",
		[WG_NODE_RELAY_NOT_WIREGUARD] = "not_wireguard",
		[WG_NODE_RELAY_NO_MBUF] = "no_mbuf",
	};

	return verdict < WG_NODE_RELAY_VERDICTS ? names[verdict] : "unknown";
}

/* What the workers saw since the last look becomes timer events, in the order it happened. */
static void
peer_feed_timers(struct wg_node *wn, struct wg_node_peer *np)
{
	struct dp_peer_totals t;
	bool received, sent;

	dp_peer_totals(np->dp, &t);
	{
		struct path_activity a = {
			.last_tx_data_ns = t.last_tx_data_ns,
			.last_rx_ns = t.last_rx_ns,
			.last_rx_udp_ns = t.last_rx_udp_ns,
		};

		path_peer_activity(np->path, &a);
	}
	received = t.last_rx_ns > np->seen_rx_ns;
	sent = t.last_tx_data_ns > np->seen_tx_data_ns;
	if (sent && (!received || t.last_tx_data_ns < t.last_rx_ns)) {
		wg_device_datapath_sent(wn->dev, np->dev);
		sent = false;
	}
	if (received)
		wg_device_datapath_received(wn->dev, np->dev, t.last_rx_data_ns > np->seen_rx_data_ns);
	if (sent)
		wg_device_datapath_sent(wn->dev, np->dev);
	np->seen_rx_ns = t.last_rx_ns;
	np->seen_rx_data_ns = t.last_rx_data_ns;
	np->seen_tx_data_ns = t.last_tx_data_ns;
}

uint64_t
wg_node_tick(struct wg_node *wn, uint64_t now_ns)
{
	uint64_t next;

	if (now_ns >= wn->next_sync_ns) {
		for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next)
			peer_feed_timers(wn, np);
		wn->next_sync_ns = now_ns + WG_NODE_SYNC_INTERVAL_MS * 1000000ull;
	}
	if (wg_device_next_deadline(wn->dev) <= now_ns)
		wg_device_run_timers(wn->dev);
	sync_all(wn);
	wg_node_flush(wn);
	next = wg_device_next_deadline(wn->dev);
	return next < wn->next_sync_ns ? next : wn->next_sync_ns;
}

/* ---- reload ---- */

int
wg_node_apply_config(struct wg_node *wn, const struct config *c, struct strbuf *why)
{
	const struct config *old = wn->node->config;
	struct wg_node_peer *np, *next;

	/* what cannot change under running workers: say so, apply the rest */
	static const char *const at_restart[] = {"dataplane", "ports", "exit", "control"};

	for (size_t i = 0; i < sizeof(at_restart) / sizeof(at_restart[0]); i++)
		if (!config_section_equal(c, old, at_restart[i]))
			log_warn("reload: changes to %s take effect at the next restart",
				 at_restart[i]);
	if (sodium_memcmp(c->node.private_key, wn->private_key, KEY_LEN) != 0) {
		if (wg_device_set_private_key(wn->dev, c->node.private_key) != 0) {
			strbuf_puts(why, "node.private_key: gives no usable public key");
			return -1;
		}
		memcpy(wn->private_key, c->node.private_key, KEY_LEN);
		wn->has_private_key = true;
		path_set_node_key(wn->node->path, c->node.private_key);
	}
	if (c->node.listen_port != wn->dp->listen_port)
		__atomic_store_n(&wn->dp->listen_port, c->node.listen_port, __ATOMIC_RELEASE);
	/* peers gone from the file go; the others are updated in place, so their tunnels stay */
	for (np = wn->peers; np != NULL; np = next) {
		next = np->next;
		if (!np->tailnet && config_find_peer(c, np->dp->public_key) == NULL)
			peer_remove(wn, np);
	}
	for (size_t i = 0; i < c->peer_count; i++) {
		const struct config_peer *cp = &c->peers[i];

		np = peer_find(wn, cp->public_key);
		if (np == NULL)
			np = peer_add(wn, cp->public_key, cp->name);
		if (np == NULL || peer_apply_config(np, cp) != 0) {
			strbuf_printf(why, "peers[%zu]: cannot add it (out of memory or peer limit)", i);
			return -1;
		}
	}
	publish_allowed_ips(wn);
	sync_all(wn);
	wg_node_flush(wn);
	return 0;
}

/* ---- the tailnet's peers (control/tailnet_glue.c) ---- */

int
wg_node_tailnet_upsert(struct wg_node *wn, const struct wg_node_tailnet_peer *tp)
{
	struct wg_node_peer *np = peer_find(wn, tp->public_key);
	struct netendpoint *eps = NULL;

	if (np != NULL && !np->tailnet) {
		/* a peer of the YAML file with the same key wins: the file is the operator's */
		return 0;
	}
	if (tp->endpoint_count != 0) {
		eps = malloc(tp->endpoint_count * sizeof(*eps));
		if (eps == NULL)
			return -1;
		memcpy(eps, tp->endpoints, tp->endpoint_count * sizeof(*eps));
	}
	if (np == NULL) {
		np = peer_add(wn, tp->public_key, tp->name);
		if (np == NULL) {
			free(eps);
			return -1;
		}
		np->tailnet = true;
	}
	if (tp->name != NULL && strcmp(np->name, tp->name) != 0) {
		char *name = strdup(tp->name);

		if (name != NULL) {
			free(np->name);
			np->name = name;
		}
	}
	free(np->endpoints);
	np->endpoints = eps;
	np->endpoint_count = tp->endpoint_count;
	np->pin = CONFIG_PATH_AUTO;
	np->has_disco_key = tp->has_disco_key;
	memcpy(np->disco_key, tp->disco_key, KEY_LEN);
	if (peer_set_allowed_ips(np, tp->allowed_ips, tp->allowed_ip_count) != 0)
		return -1;
	peer_path_update(np);
	return 0;
}

void
wg_node_tailnet_remove(struct wg_node *wn, const uint8_t public_key[KEY_LEN])
{
	struct wg_node_peer *np = peer_find(wn, public_key);

	if (np != NULL && np->tailnet)
		peer_remove(wn, np);
}

void
wg_node_tailnet_commit(struct wg_node *wn)
{
	publish_allowed_ips(wn);
	sync_all(wn);
	wg_node_flush(wn);
}

/* ---- UAPI ---- */

static uint64_t
peer_rx_bytes(const struct wg_node_peer *np, const struct dp_peer_totals *t)
{
	/* handshakes the device received plus data the workers received */
	return np->dev->stats.rx_bytes + t->rx_bytes;
}

static uint64_t
peer_tx_bytes(const struct wg_node_peer *np, const struct dp_peer_totals *t)
{
	return np->dev->stats.tx_bytes + t->tx_bytes;
}

static bool
key_is_zero(const uint8_t key[KEY_LEN])
{
	return sodium_is_zero(key, KEY_LEN);
}

void
wg_node_uapi_get(struct wg_node *wn, struct strbuf *out)
{
	uapi_write_interface(out, wn->has_private_key ? wn->private_key : NULL,
			     wn->dp->listen_port, wn->fwmark);
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next) {
		uint64_t hs = np->dev->timers.last_handshake_realtime_ns;
		struct dp_peer_totals t;
		struct uapi_peer_info info = {
			.public_key = np->dp->public_key,
			.preshared_key = key_is_zero(np->dev->remote.psk) ? NULL : np->dev->remote.psk,
			.endpoint = np->dev->has_endpoint ? &np->dev->endpoint : NULL,
			.last_handshake_sec = hs / 1000000000ull,
			.last_handshake_nsec = hs % 1000000000ull,
			.persistent_keepalive = np->keepalive,
			.allowed_ips = np->allowed_ips,
			.allowed_ip_count = np->allowed_ip_count,
		};

		dp_peer_totals(np->dp, &t);
		info.rx_bytes = peer_rx_bytes(np, &t);
		info.tx_bytes = peer_tx_bytes(np, &t);
		uapi_write_peer(out, &info);
	}
}

/* An allowed IP set on one peer leaves every other peer (WireGuard's rule). */
static void
steal_prefix(struct wg_node *wn, struct wg_node_peer *owner, const struct netprefix *p)
{
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next) {
		size_t kept = 0;

		if (np == owner)
			continue;
		for (size_t i = 0; i < np->allowed_ip_count; i++)
			if (np->allowed_ips[i].len != p->len ||
			    !netaddr_equal(&np->allowed_ips[i].addr, &p->addr))
				np->allowed_ips[kept++] = np->allowed_ips[i];
		np->allowed_ip_count = kept;
	}
}

static int
uapi_apply_peer(struct wg_node *wn, const struct uapi_peer_change *pc)
{
	struct wg_node_peer *np = peer_find(wn, pc->public_key);

	if (pc->remove) {
		if (np != NULL)
			peer_remove(wn, np);
		return 0;
	}
	if (np == NULL) {
		if (pc->update_only)
			return 0;
		np = peer_add(wn, pc->public_key, NULL);
		if (np == NULL)
			return ENOMEM;
	}
	if (pc->has_preshared_key)
		wg_peer_set_psk(np->dev, key_is_zero(pc->preshared_key) ? NULL : pc->preshared_key);
	if (pc->has_endpoint)
		peer_set_endpoint(np, &pc->endpoint);
	if (pc->replace_allowed_ips)
		np->allowed_ip_count = 0;
	if (pc->allowed_ip_count != 0) {
		struct netprefix *grown = realloc(np->allowed_ips, (np->allowed_ip_count +
					pc->allowed_ip_count) * sizeof(*grown));

		if (grown == NULL)
			return ENOMEM;
		np->allowed_ips = grown;
		for (size_t i = 0; i < pc->allowed_ip_count; i++) {
			bool present = false;

			steal_prefix(wn, np, &pc->allowed_ips[i]);
			for (size_t j = 0; j < np->allowed_ip_count; j++)
				present |= np->allowed_ips[j].len == pc->allowed_ips[i].len &&
					   netaddr_equal(&np->allowed_ips[j].addr,
							 &pc->allowed_ips[i].addr);
			if (!present)
				np->allowed_ips[np->allowed_ip_count++] = pc->allowed_ips[i];
		}
	}
	if (pc->has_keepalive)
		peer_set_keepalive(np, pc->keepalive);
	return 0;
}

int
wg_node_uapi_set(struct wg_node *wn, const struct uapi_set *set, char *why, size_t why_size)
{
	uint8_t public_key[KEY_LEN];
	const uint8_t *own = wg_device_public_key(wn->dev);
	int rc = 0;

	/* refuse before changing anything */
	if (set->has_private_key && !key_is_zero(set->private_key)) {
		if (crypto_scalarmult_base(public_key, set->private_key) != 0) {
			snprintf(why, why_size, "private_key gives no usable public key");
			return EINVAL;
		}
		own = public_key;
	}
	for (size_t i = 0; i < set->peer_count; i++) {
		if (own != NULL && !set->peers[i].remove &&
		    sodium_memcmp(set->peers[i].public_key, own, KEY_LEN) == 0) {
			snprintf(why, why_size, "a peer cannot have the interface's own public key");
			return EINVAL;
		}
	}
	if (set->has_private_key) {
		const uint8_t *key = key_is_zero(set->private_key) ? NULL : set->private_key;

		if (wg_device_set_private_key(wn->dev, key) != 0) {
			snprintf(why, why_size, "private_key refused by the device");
			return EINVAL;
		}
		wn->has_private_key = key != NULL;
		if (key != NULL) {
			memcpy(wn->private_key, key, KEY_LEN);
			/* the relay key is the WireGuard key: log in again under the new one */
			relay_set_private_key(wn->node->relay, key);
			path_set_node_key(wn->node->path, key);
		} else {
			sodium_memzero(wn->private_key, KEY_LEN);
		}
	}
	if (set->has_listen_port && set->listen_port != 0)
		__atomic_store_n(&wn->dp->listen_port, set->listen_port, __ATOMIC_RELEASE);
	if (set->has_fwmark)
		wn->fwmark = set->fwmark;
	if (set->replace_peers)
		while (wn->peers != NULL)
			peer_remove(wn, wn->peers);
	for (size_t i = 0; i < set->peer_count && rc == 0; i++)
		rc = uapi_apply_peer(wn, &set->peers[i]);
	if (rc != 0)
		snprintf(why, why_size, "out of memory or peer limit");
	publish_allowed_ips(wn);
	sync_all(wn);
	wg_node_flush(wn);
	sodium_memzero(public_key, sizeof(public_key));
	return rc;
}

/* ---- status and stats ---- */

static void
format_age(char *buf, size_t size, uint64_t realtime_ns)
{
	struct timespec ts;
	uint64_t now;

	if (realtime_ns == 0) {
		snprintf(buf, size, "never");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(buf, size, "%llus ago",
		 (unsigned long long)((now > realtime_ns ? now - realtime_ns : 0) / 1000000000ull));
}

static const char *
pin_name(enum config_peer_path path)
{
	switch (path) {
	case CONFIG_PATH_DIRECT:
		return "direct";
	case CONFIG_PATH_RELAY:
		return "relay";
	default:
		return "auto";
	}
}

/* Active as `tailscale status` means it: data went either way within the last 45 s. */
static bool
peer_active(const struct dp_peer_totals *t, uint64_t now)
{
	uint64_t last = t->last_tx_data_ns > t->last_rx_data_ns ? t->last_tx_data_ns
								: t->last_rx_data_ns;

	return last != 0 && now - last < PATH_SESSION_ACTIVE_MS * 1000000ull;
}

/*
 * One line per peer in the form of `tailscale status`:
 *   100.64.0.2  laptop  93CDA/fX  active; direct 203.0.113.7:41641, tx 1234 rx 5678, handshake 3s ago
 * (active or idle; then the path: direct ip:port, relay "code", or both while unconfirmed).
 */
void
wg_node_status(struct wg_node *wn, struct strbuf *out, bool json)
{
	char key[KEY_BASE64_LEN + 1], ep[NETADDR_TEXT_MAX], age[32], ip[NETADDR_TEXT_MAX];
	const uint8_t *own = wg_device_public_key(wn->dev);
	uint64_t now = loop_now();

	if (own != NULL)
		key_to_base64(key, own);
	else
		snprintf(key, sizeof(key), "(none)");
	if (json) {
		char disco[KEY_BASE64_LEN + 1];

		key_to_base64(disco, path_disco_public_key(wn->node->path));
		strbuf_printf(out, "\"public_key\":\"%s\",\"disco_key\":\"%s\",\"peers\":[", key,
			      disco);
	} else {
		strbuf_printf(out, "public key %s, %zu peer%s\n", key, wn->peer_count,
			      wn->peer_count == 1 ? "" : "s");
	}
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next) {
		uint64_t hs = np->dev->timers.last_handshake_realtime_ns;
		bool session = atomic_load(&np->dp->current) != NULL;
		struct dp_peer_totals t;
		bool active;

		dp_peer_totals(np->dp, &t);
		active = peer_active(&t, now);
		key_to_base64(key, np->dp->public_key);
		if (np->dev->has_endpoint)
			netendpoint_format(&np->dev->endpoint, ep, sizeof(ep));
		else
			snprintf(ep, sizeof(ep), "(none)");
		if (np->allowed_ip_count != 0)
			netaddr_format(&np->allowed_ips[0].addr, ip, sizeof(ip));
		else
			snprintf(ip, sizeof(ip), "-");
		format_age(age, sizeof(age), hs);
		if (json) {
			strbuf_printf(out, "%s{\"name\":", np == wn->peers ? "" : ",");
			strbuf_json_string(out, np->name);
			strbuf_printf(out, ",\"public_key\":\"%s\",\"tunnel_ip\":\"%s\","
					   "\"endpoint\":\"%s\",\"pin\":\"%s\",\"active\":%s,"
					   "\"session\":%s,\"last_handshake_unix_ns\":%llu,"
					   "\"rx_bytes\":%llu,\"tx_bytes\":%llu",
				      key, ip, ep, pin_name(np->pin), active ? "true" : "false",
				      session ? "true" : "false", (unsigned long long)hs,
				      (unsigned long long)peer_rx_bytes(np, &t),
				      (unsigned long long)peer_tx_bytes(np, &t));
			path_peer_describe(wn->node->path, np->path, out, true);
			strbuf_puts(out, "}");
		} else {
			strbuf_printf(out, "%-16s %-12s %.8s  %s; ", ip, np->name, key,
				      active ? "active" : "idle");
			path_peer_describe(wn->node->path, np->path, out, false);
			strbuf_printf(out, "%s, tx %llu rx %llu, handshake %s\n",
				      np->pin != CONFIG_PATH_AUTO ? " (pinned)" : "",
				      (unsigned long long)peer_tx_bytes(np, &t),
				      (unsigned long long)peer_rx_bytes(np, &t), age);
		}
	}
	if (json)
		strbuf_puts(out, "]");
}

/* A peer by name, base64 public key, or tunnel address (exitgatectl ping / why). */
struct wg_node_peer *
wg_node_find_peer(struct wg_node *wn, const char *which)
{
	uint8_t key[KEY_LEN];
	struct netaddr addr;
	const char *why;
	bool is_key = key_from_base64(key, which) == 0;
	bool is_addr = netaddr_parse(which, &addr, &why) == 0;

	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next) {
		if (strcmp(np->name, which) == 0 ||
		    (is_key && sodium_memcmp(key, np->dp->public_key, KEY_LEN) == 0))
			return np;
		for (size_t i = 0; is_addr && i < np->allowed_ip_count; i++)
			if (netprefix_contains(&np->allowed_ips[i], &addr) &&
			    np->allowed_ips[i].len != 0)
				return np;
	}
	return NULL;
}

struct path_peer *
wg_node_peer_path(const struct wg_node_peer *np)
{
	return np->path;
}

const char *
wg_node_peer_name(const struct wg_node_peer *np)
{
	return np->name;
}

const struct netprefix *
wg_node_peer_address(const struct wg_node_peer *np)
{
	return np->allowed_ip_count != 0 ? &np->allowed_ips[0] : NULL;
}

void
wg_node_stats(struct wg_node *wn, struct strbuf *out, bool json)
{
	const struct wg_device_stats *ds = wg_device_stats(wn->dev);

	if (json) {
		strbuf_printf(out, ",\"handshakes\":{\"initiations_sent\":%llu,"
				   "\"initiations_received\":%llu,\"responses_sent\":%llu,"
				   "\"responses_received\":%llu,\"cookie_replies_sent\":%llu,"
				   "\"sessions_confirmed\":%llu,\"drops\":{",
			      (unsigned long long)ds->initiations_sent,
			      (unsigned long long)ds->initiations_received,
			      (unsigned long long)ds->responses_sent,
			      (unsigned long long)ds->responses_received,
			      (unsigned long long)ds->cookie_replies_sent,
			      (unsigned long long)ds->sessions_confirmed);
		for (int r = 0; r < WG_DROP_REASON_COUNT; r++)
			strbuf_printf(out, "%s\"%s\":%llu", r ? "," : "",
				      wg_drop_reason_name((enum wg_drop_reason)r),
				      (unsigned long long)ds->drops[r]);
		strbuf_puts(out, "}},\"peers\":[");
	} else {
		strbuf_printf(out, "handshakes: %llu initiations sent, %llu received, %llu responses "
				   "sent, %llu received, %llu cookie replies sent\n",
			      (unsigned long long)ds->initiations_sent,
			      (unsigned long long)ds->initiations_received,
			      (unsigned long long)ds->responses_sent,
			      (unsigned long long)ds->responses_received,
			      (unsigned long long)ds->cookie_replies_sent);
		for (int r = 0; r < WG_DROP_REASON_COUNT; r++)
			if (ds->drops[r] != 0)
				strbuf_printf(out, "  handshake drop %-20s %llu\n",
					      wg_drop_reason_name((enum wg_drop_reason)r),
					      (unsigned long long)ds->drops[r]);
	}
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next) {
		struct dp_peer_totals t;

		dp_peer_totals(np->dp, &t);
		if (json) {
			strbuf_printf(out, "%s{\"name\":", np == wn->peers ? "" : ",");
			strbuf_json_string(out, np->name);
			strbuf_printf(out, ",\"rx_bytes\":%llu,\"tx_bytes\":%llu,\"rx_packets\":%llu,"
					   "\"tx_packets\":%llu,\"handshakes\":%llu}",
				      (unsigned long long)peer_rx_bytes(np, &t),
				      (unsigned long long)peer_tx_bytes(np, &t),
				      (unsigned long long)t.rx_packets, (unsigned long long)t.tx_packets,
				      (unsigned long long)np->dev->stats.handshakes_completed);
		} else {
			strbuf_printf(out, "peer %s: rx %llu bytes (%llu data messages), tx %llu bytes "
					   "(%llu), %llu handshakes\n",
				      np->name, (unsigned long long)peer_rx_bytes(np, &t),
				      (unsigned long long)t.rx_packets,
				      (unsigned long long)peer_tx_bytes(np, &t),
				      (unsigned long long)t.tx_packets,
				      (unsigned long long)np->dev->stats.handshakes_completed);
		}
	}
	if (json)
		strbuf_puts(out, "]");
}

/* ---- figures for reports ---- */

const char *
wg_node_path_kind_name(enum wg_node_path_kind kind)
{
	static const char *const names[WG_NODE_PATH_KINDS] = {
		[WG_NODE_PATH_NONE] = "none",
		[WG_NODE_PATH_DIRECT] = "direct",
		[WG_NODE_PATH_RELAY] = "relay",
		[WG_NODE_PATH_BOTH] = "both",
	};

	return kind < WG_NODE_PATH_KINDS ? names[kind] : "unknown";
}

/* The path a peer's traffic takes now, as path selection (control/path) decided it: the one
 * answer every report uses. */
static enum wg_node_path_kind
peer_path(const struct wg_node_peer *np, uint32_t *region)
{
	*region = 0;
	switch (path_peer_kind(np->path)) {
	case PATH_KIND_DIRECT:
		return WG_NODE_PATH_DIRECT;
	case PATH_KIND_BOTH:
		*region = relay_region_of_peer(np->wn->node->relay, np->dp->public_key);
		return WG_NODE_PATH_BOTH;
	case PATH_KIND_RELAY:
		*region = relay_region_of_peer(np->wn->node->relay, np->dp->public_key);
		return WG_NODE_PATH_RELAY;
	default:
		return WG_NODE_PATH_NONE;
	}
}

int
wg_node_peer_walk(struct wg_node *wn, wg_node_peer_fn fn, void *arg)
{
	for (struct wg_node_peer *np = wn->peers; np != NULL; np = np->next) {
		struct wg_node_peer_figures f;
		struct dp_peer_totals t;
		int rc;

		dp_peer_totals(np->dp, &t);
		f = (struct wg_node_peer_figures){
			.name = np->name,
			.public_key = np->dp->public_key,
			.rx_bytes = peer_rx_bytes(np, &t),
			.tx_bytes = peer_tx_bytes(np, &t),
			.rx_packets = t.rx_packets,
			.tx_packets = t.tx_packets,
			.handshakes = np->dev->stats.handshakes_completed,
			.last_handshake_realtime_ns = np->dev->timers.last_handshake_realtime_ns,
		};
		f.path = peer_path(np, &f.relay_region);
		rc = fn(&f, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

size_t
wg_node_peer_count(const struct wg_node *wn)
{
	return wn->peer_count;
}

const struct wg_device_stats *
wg_node_handshake_stats(const struct wg_node *wn)
{
	return wg_device_stats(wn->dev);
}
