/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "dataplane.h"
#include "log.h"
#include "path.h"
#include "relay.h"
#include "tailnet.h"
#include "tailnet_acl.h"
#include "tailnet_glue.h"
#include "wg_node.h"

/* A peer the netmap gave us, by its node ID (removals name IDs only). */
struct glue_peer {
	int64_t id;
	uint8_t key[KEY_LEN];
};

struct tailnet_glue {
	struct node *node;
	struct tailnet *client;
	struct glue_peer *peers; /* sorted by id */
	size_t peer_count, peer_cap;
	uint64_t netmaps;        /* netmap changes applied */
	uint64_t peers_refused;  /* peers the node could not take (limits, memory) */
	uint64_t expired_removed;
};

/* ---- the peers we took from the netmap ---- */

static struct glue_peer *
known_find(struct tailnet_glue *g, int64_t id, size_t *at)
{
	size_t lo = 0, hi = g->peer_count;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->peers[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at != NULL)
		*at = lo;
	return lo < g->peer_count && g->peers[lo].id == id ? &g->peers[lo] : NULL;
}

static int
known_put(struct tailnet_glue *g, int64_t id, const uint8_t key[KEY_LEN])
{
	size_t at;
	struct glue_peer *p = known_find(g, id, &at);

	if (p != NULL) {
		memcpy(p->key, key, KEY_LEN);
		return 0;
	}
	if (g->peer_count == g->peer_cap) {
		size_t cap = g->peer_cap ? g->peer_cap * 2 : 64;
		struct glue_peer *grown = realloc(g->peers, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		g->peers = grown;
		g->peer_cap = cap;
	}
	memmove(&g->peers[at + 1], &g->peers[at], (g->peer_count - at) * sizeof(g->peers[0]));
	g->peers[at].id = id;
	memcpy(g->peers[at].key, key, KEY_LEN);
	g->peer_count++;
	return 0;
}

static void
known_remove_at(struct tailnet_glue *g, size_t at)
{
	struct node *node = g->node;

	wg_node_tailnet_remove(node->wg, g->peers[at].key);
	relay_set_peer_region(node->relay, g->peers[at].key, 0);
	memmove(&g->peers[at], &g->peers[at + 1], (g->peer_count - at - 1) * sizeof(g->peers[0]));
	g->peer_count--;
}

static void
known_remove(struct tailnet_glue *g, int64_t id)
{
	size_t at;

	if (known_find(g, id, &at) != NULL)
		known_remove_at(g, at);
}

static bool
key_is_zero(const uint8_t key[KEY_LEN])
{
	return sodium_is_zero(key, KEY_LEN);
}

/* A peer of the netmap, added or changed: the node's WireGuard peer follows it. */
static void
peer_apply(struct tailnet_glue *g, const struct tailnet_node *n, int64_t now_unix)
{
	struct node *node = g->node;
	struct glue_peer *known = known_find(g, n->id, NULL);
	struct wg_node_tailnet_peer tp = {
		.name = n->hostname[0] != '\0' ? n->hostname : n->name,
		.allowed_ips = n->allowed_ips,
		.allowed_ip_count = n->allowed_ip_count,
		.has_disco_key = !key_is_zero(n->disco_key),
		.endpoints = n->endpoints,
		.endpoint_count = n->endpoint_count,
	};

	/* a node whose key changed is a new WireGuard peer: the old one goes */
	if (known != NULL && sodium_memcmp(known->key, n->node_key, KEY_LEN) != 0)
		known_remove(g, n->id);
	/* expired on the server (or removed: not here at all): no tunnel */
	if (tailnet_node_expired(n, now_unix)) {
		if (known_find(g, n->id, NULL) != NULL) {
			g->expired_removed++;
			log_info("tailnet: peer %s: key expired: its tunnel ends", tp.name);
		}
		known_remove(g, n->id);
		return;
	}
	memcpy(tp.public_key, n->node_key, KEY_LEN);
	memcpy(tp.disco_key, n->disco_key, KEY_LEN);
	if (wg_node_tailnet_upsert(node->wg, &tp) != 0 || known_put(g, n->id, n->node_key) != 0) {
		g->peers_refused++;
		log_warn("tailnet: peer %s: cannot add it (peer limit or out of memory)", tp.name);
		return;
	}
	/* a Tailscale client listens on its home region only */
	relay_set_peer_region(node->relay, n->node_key, n->home_derp);
}

/* ---- the DERP map from control ---- */

static void
derp_apply(struct tailnet_glue *g, const struct tailnet_derp_map *m)
{
	struct config_derp derp = {0};
	struct config_derp_region *regions = calloc(m->region_count ? m->region_count : 1,
						    sizeof(*regions));
	size_t nodes = 0;

	if (regions == NULL) {
		log_warn("tailnet: DERP map: out of memory; keeping the previous one");
		return;
	}
	/* the strings stay the netmap's: relay and path copy what they keep, here and now */
	for (size_t i = 0; i < m->region_count; i++) {
		const struct tailnet_derp_region *r = &m->regions[i];
		struct config_derp_region *cr = &regions[derp.region_count];

		cr->region_id = r->region_id;
		cr->region_code = (char *)r->code;
		cr->region_name = (char *)r->name;
		cr->nodes = calloc(r->node_count ? r->node_count : 1, sizeof(*cr->nodes));
		if (cr->nodes == NULL)
			continue;
		for (size_t j = 0; j < r->node_count; j++) {
			const struct tailnet_derp_node *n = &r->nodes[j];
			struct config_derp_node *cn = &cr->nodes[cr->node_count];

			if (n->insecure_for_tests && n->cert_name[0] == '\0')
				log_warn("tailnet: DERP node %s: InsecureForTests is not honoured (its "
					 "certificate is verified; give it a CertName pin)", n->name);
			cn->name = (char *)n->name;
			cn->host_name = (char *)n->host_name;
			cn->cert_name = (char *)n->cert_name;
			cn->ipv4 = (char *)n->ipv4;
			cn->ipv6 = (char *)n->ipv6;
			cn->stun_port = n->stun_port;
			cn->stun_only = n->stun_only;
			cn->derp_port = n->derp_port > 0 && n->derp_port <= 65535 ? (uint16_t)n->derp_port
										 : 0;
			cn->can_port80 = n->can_port80;
			cr->node_count++;
			nodes++;
		}
		derp.region_count++;
	}
	derp.regions = regions;
	derp.home_region = g->node->config->derp.home_region;
	relay_set_derp_map(g->node->relay, &derp);
	path_set_derp_map(g->node->path, &derp);
	log_info("tailnet: DERP map: %zu regions, %zu nodes", derp.region_count, nodes);
	for (size_t i = 0; i < derp.region_count; i++)
		free(regions[i].nodes);
	free(regions);
}

/* ---- callbacks ---- */

static void
on_netmap(void *ctx, const struct tailnet_netmap *nm, const struct tailnet_netmap_change *c)
{
	struct tailnet_glue *g = ctx;
	int64_t now_unix = (int64_t)time(NULL);

	g->netmaps++;
	if (c->derp_changed && nm->derp_known)
		derp_apply(g, &nm->derp);
	if (c->full_peer_set) {
		/* the whole set: what is not in it goes */
		for (size_t i = g->peer_count; i-- > 0;)
			if (tailnet_netmap_peer(nm, g->peers[i].id) == NULL)
				known_remove_at(g, i);
		for (size_t i = 0; i < nm->peer_count; i++)
			peer_apply(g, nm->peers[i], now_unix);
	} else {
		for (size_t i = 0; i < c->removed_count; i++)
			known_remove(g, c->removed[i]);
		for (size_t i = 0; i < c->added_count; i++) {
			const struct tailnet_node *n = tailnet_netmap_peer(nm, c->added[i]);

			if (n != NULL)
				peer_apply(g, n, now_unix);
		}
		for (size_t i = 0; i < c->changed_count; i++) {
			const struct tailnet_node *n = tailnet_netmap_peer(nm, c->changed[i]);

			if (n != NULL)
				peer_apply(g, n, now_unix);
		}
	}
	if (c->filter_changed && nm->filter_known) {
		struct dp_acl *acl = tailnet_acl_compile(&nm->filter);

		if (acl == NULL)
			log_warn("tailnet: packet filter: out of memory; keeping the previous one");
		else
			dataplane_set_acl(g->node->dp, acl);
		log_info("tailnet: packet filter: %zu rules", nm->filter.rule_count);
	}
	wg_node_tailnet_commit(g->node->wg);
}

static void
on_state(void *ctx, enum tailnet_state state, const char *reason)
{
	(void)ctx;
	log_info("tailnet: %s%s%s", tailnet_state_name(state), reason != NULL ? ": " : "",
		 reason != NULL ? reason : "");
}

/* ---- our side: endpoints and NetInfo ---- */

void
tailnet_glue_endpoints_changed(struct tailnet_glue *g)
{
	struct netendpoint eps[TAILNET_ENDPOINTS_MAX];
	uint8_t types[TAILNET_ENDPOINTS_MAX];
	struct tailnet_derp_latency lat[16];
	struct path_netinfo pn;
	struct tailnet_netinfo ni = {0};
	size_t n;

	if (g == NULL)
		return;
	n = path_endpoints(g->node->path, eps, types, TAILNET_ENDPOINTS_MAX);
	tailnet_set_endpoints(g->client, eps, types, n);
	path_netinfo(g->node->path, &pn);
	{
		bool connected;
		uint32_t home = relay_home_region(g->node->relay, &connected);

		/* peers reach us through our home region: control tells them which it is */
		ni.preferred_derp = home != 0 ? home : pn.preferred_region;
	}
	if (pn.valid) {
		ni.working_udp = pn.udp4 || pn.udp6 ? TAILNET_TRUE : TAILNET_FALSE;
		ni.working_ipv6 = pn.udp6 ? TAILNET_TRUE : TAILNET_FALSE;
		ni.mapping_varies_by_dest_ip = pn.varies4 ? TAILNET_TRUE : TAILNET_FALSE;
		ni.have_port_map = pn.portmap;
	}
	for (size_t i = 0; i < pn.region_count && i < 16; i++) {
		if (pn.regions[i].latency_us == 0)
			continue;
		lat[ni.derp_latency_count].region_id = pn.regions[i].id;
		lat[ni.derp_latency_count].ipv6 = false;
		lat[ni.derp_latency_count].seconds = pn.regions[i].latency_us / 1e6;
		ni.derp_latency_count++;
	}
	ni.derp_latency = lat;
	tailnet_set_netinfo(g->client, &ni);
}

/* ---- life cycle ---- */

struct tailnet_glue *
tailnet_glue_create(struct node *node)
{
	const struct config *c = node->config;
	const struct config_tailnet *t = &c->tailnet;
	struct tailnet_glue *g;
	struct tailnet_config tc = {
		.loop = node->loop,
		.login_server = t->login_server,
		.auth_key_file = t->auth_key_file,
		.hostname = t->hostname,
		.state_dir = t->state_dir,
		.advertise_exit_node = t->advertise_exit_node,
		.on_netmap = on_netmap,
		.on_state = on_state,
	};

	if (!t->present)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->node = node;
	tc.ctx = g;
	memcpy(tc.node_private_key, c->node.private_key, KEY_LEN);
	memcpy(tc.disco_public_key, path_disco_public_key(node->path), KEY_LEN);
	g->client = tailnet_create(&tc);
	sodium_memzero(tc.node_private_key, sizeof(tc.node_private_key));
	if (g->client == NULL) {
		free(g);
		return NULL;
	}
	tailnet_glue_endpoints_changed(g);
	log_info("tailnet: joining %s as %s%s", t->login_server,
		 t->hostname[0] != '\0' ? t->hostname : "(the host name)",
		 t->advertise_exit_node ? ", advertising an exit node" : "");
	return g;
}

void
tailnet_glue_destroy(struct tailnet_glue *g)
{
	if (g == NULL)
		return;
	tailnet_destroy(g->client);
	free(g->peers);
	free(g);
}

void
tailnet_glue_status(struct tailnet_glue *g, struct strbuf *out, bool json)
{
	if (g == NULL) {
		if (json)
			strbuf_puts(out, ",\"tailnet\":null");
		return;
	}
	if (json) {
		strbuf_printf(out, ",\"tailnet\":{\"peers\":%zu,\"netmaps\":%llu,\"peers_refused\":%llu,"
				   "\"expired_removed\":%llu,\"client\":",
			      g->peer_count, (unsigned long long)g->netmaps,
			      (unsigned long long)g->peers_refused,
			      (unsigned long long)g->expired_removed);
		tailnet_status(g->client, out, true);
		strbuf_puts(out, "}");
		return;
	}
	strbuf_printf(out, "tailnet: %zu peers from the netmap, %llu netmap changes applied\n",
		      g->peer_count, (unsigned long long)g->netmaps);
	tailnet_status(g->client, out, false);
}
