/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Concurrency: main lcore only. The DERP clients' sockets are registered with the control loop
 * here (their fd changes on every reconnect); one loop timer runs each client's deadline, the
 * pings, probes, idle closes and the home choice.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <rte_mbuf.h>
#include <sodium.h>

#include "derp_client.h"
#include "keymap.h"
#include "log.h"
#include "relay.h"
#include "relay_home.h"
#include "wg_data.h"
#include "wg_node.h"

enum {
	RELAY_ROUTES_MAX = 64,
};

/* One DERP server of a region, as the map gives it (copied: a reload frees the old config). */
struct relay_server {
	char *name;
	char *host_name;
	char *cert_name;
	char *ipv4;
	char *ipv6;
	uint16_t port;
};

struct relay_region {
	struct relay *relay;
	uint32_t id;
	char *code;
	struct relay_server *servers; /* the region's DERP nodes (STUN-only ones left out) */
	size_t server_count;
	size_t server_index;          /* the one connected to; the next after repeated failures */

	struct derp_client *client;   /* NULL while closed */
	struct derp_client_stats retired; /* counters of clients closed before this one */
	int reg_fd;                   /* the fd registered with the loop, -1 none */
	uint64_t reg_generation;
	uint32_t reg_events;

	bool home;
	uint64_t last_used_ms;        /* a non-home region closes RELAY_IDLE_CLOSE_MS after this */
	uint64_t seen_connected_ms;   /* the last time it was seen logged in */
	uint64_t failures_mark;       /* the client's connect_failures at its last login */

	struct relay_latency latency;
	uint8_t ping_data[DERP_PING_LEN];
	bool ping_outstanding;
	uint64_t ping_sent_ns;
	uint64_t ping_sent_ms;
	uint64_t next_ping_ms;
	uint32_t ping_misses;

	uint64_t ping_timeouts;
	uint64_t dead_restarts;       /* connections dropped after RELAY_PING_MISSES_DEAD misses */
	uint64_t server_switches;
	uint64_t rx_verdicts[WG_NODE_RELAY_VERDICTS];
};

/* A peer last heard on a region other than the home one: its replies go back there. */
struct relay_route {
	uint8_t key[KEY_LEN];
	struct relay_region *region;
	uint64_t last_rx_ms;
};

struct relay {
	struct node *node;
	int timer;
	uint8_t private_key[KEY_LEN];
	struct relay_region *regions;
	size_t region_count;
	struct relay_region *home;
	uint32_t forced_home;
	uint64_t next_probe_ms;
	uint64_t last_probe_ms;
	uint64_t home_changes;
	uint64_t peer_gone;           /* DP_UP_RELAY for a peer removed meanwhile */
	struct relay_route routes[RELAY_ROUTES_MAX];
	size_t route_count;
	uint8_t *scratch;             /* a segmented upcall, made contiguous */
	/* peers whose home region control named (tailnet): their packets go there, whatever our
	 * home, since a Tailscale client listens on its home region only (key -> region id) */
	struct keymap peer_regions;
	relay_disco_fn disco;         /* who takes disco packets (path selection), or NULL */
	void *disco_ctx;
	uint64_t disco_received;
	struct relay_home_candidate *candidates; /* one per region, for choose_home */
};

static const uint64_t NS_PER_MS = 1000000ull;

/* ---- the loop registration of a client's socket ---- */

static void region_event(struct loop *loop, int fd, uint32_t events, void *arg);

static struct loop *
relay_loop(const struct relay *relay)
{
	return relay->node->loop;
}

/* Keeps the loop's registration in step with the client (derp_client_epoll_sync's rule: a new
 * socket may reuse the old number, so the generation tells them apart). Runs right after every
 * call that may change the socket, before any other module can be handed the old number. */
static void
region_sync(struct relay_region *region)
{
	struct loop *loop = relay_loop(region->relay);
	int fd = region->client != NULL ? derp_client_fd(region->client) : -1;
	uint64_t generation = region->client != NULL ? derp_client_generation(region->client) : 0;
	uint32_t events;

	if (region->reg_fd >= 0 && (region->reg_fd != fd || region->reg_generation != generation)) {
		loop_del_fd(loop, region->reg_fd);
		region->reg_fd = -1;
	}
	if (fd < 0)
		return;
	events = derp_client_events(region->client);
	if (region->reg_fd < 0) {
		if (loop_add_fd(loop, fd, events, region_event, region) != 0)
			return; /* logged; the client's deadline still drives it */
		region->reg_fd = fd;
		region->reg_generation = generation;
		region->reg_events = events;
	} else if (region->reg_events != events && loop_mod_fd(loop, fd, events) == 0) {
		region->reg_events = events;
	}
}

/* The loop time (ns) of a client deadline (ms, CLOCK_MONOTONIC). */
static uint64_t
loop_time_of(uint64_t deadline_ms, uint64_t now_ms, uint64_t now_ns)
{
	if (deadline_ms == UINT64_MAX)
		return LOOP_NEVER;
	return deadline_ms <= now_ms ? now_ns : now_ns + (deadline_ms - now_ms) * NS_PER_MS;
}

/* ---- clients ---- */

static void
stats_add(struct derp_client_stats *sum, const struct derp_client_stats *s)
{
	/* every member is a uint64_t counter */
	uint64_t *to = (uint64_t *)sum;
	const uint64_t *from = (const uint64_t *)s;

	_Static_assert(sizeof(*s) % sizeof(uint64_t) == 0, "derp_client_stats holds counters");
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		to[i] += from[i];
}

static void
stats_total(const struct relay_region *region, struct derp_client_stats *out)
{
	*out = region->retired;
	if (region->client != NULL)
		stats_add(out, derp_client_stats(region->client));
}

static void region_on_packet(void *ctx, const uint8_t src[DERP_KEY_LEN], const uint8_t *packet,
			     size_t len);
static void region_on_event(void *ctx, const struct derp_client_event *ev);

static int
region_open(struct relay_region *region)
{
	const struct relay_server *s = &region->servers[region->server_index];
	struct derp_client_config cc = {
		.host_name = s->host_name,
		.cert_name = s->cert_name,
		.ipv4 = s->ipv4,
		.ipv6 = s->ipv6,
		.port = s->port,
		.preferred = region->home,
		.on_packet = region_on_packet,
		.on_event = region_on_event,
		.ctx = region,
	};

	memcpy(cc.private_key, region->relay->private_key, KEY_LEN);
	region->client = derp_client_new(&cc);
	sodium_memzero(cc.private_key, sizeof(cc.private_key));
	if (region->client == NULL)
		return -1;
	region->failures_mark = 0;
	region->ping_outstanding = false;
	region->ping_misses = 0;
	return 0;
}

/* Close the connection and forget the client (its counters are kept). */
static void
region_close(struct relay_region *region)
{
	struct relay *relay = region->relay;

	if (region->client == NULL)
		return;
	derp_client_stop(region->client);
	stats_add(&region->retired, derp_client_stats(region->client));
	derp_client_free(region->client);
	region->client = NULL;
	region->ping_outstanding = false;
	region_sync(region);
	for (size_t i = 0; i < relay->route_count;) {
		if (relay->routes[i].region == region)
			relay->routes[i] = relay->routes[--relay->route_count];
		else
			i++;
	}
}

/* Connect (if not already): 0, or -1 when the region has no usable client. */
static int
region_connect(struct relay_region *region, uint64_t now_ms)
{
	if (region->server_count == 0)
		return -1;
	if (region->client == NULL && region_open(region) != 0)
		return -1;
	if (derp_client_state(region->client) == DERP_CLIENT_IDLE)
		derp_client_start(region->client, now_ms);
	region_sync(region);
	return 0;
}

static bool
region_connected(const struct relay_region *region)
{
	return region->client != NULL &&
	       derp_client_state(region->client) == DERP_CLIENT_CONNECTED;
}

static void
relay_reschedule(struct relay *relay)
{
	/* the timer recomputes everything; asking for "now" is cheap and never late */
	loop_timer_at(relay_loop(relay), relay->timer, loop_now());
}

static void
region_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct relay_region *region = arg;
	struct relay *relay = region->relay;
	uint64_t now_ms = derp_client_now_ms();

	(void)fd;
	if (region->client == NULL)
		return;
	derp_client_dispatch(region->client, events, now_ms);
	region_sync(region);
	/* handshakes just received were answered into the device's outbox */
	wg_node_flush(relay->node->wg);
	/* a failure set a back-off deadline, a full read asked to come back at once */
	if (region->client != NULL)
		loop_timer_at(loop, relay->timer,
			      loop_time_of(derp_client_next_deadline(region->client), now_ms,
					   loop_now()));
}

/* ---- routes: peers heard on a region that is not the home one ---- */

static struct relay_route *
route_find(struct relay *relay, const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; i < relay->route_count; i++)
		if (memcmp(relay->routes[i].key, key, KEY_LEN) == 0)
			return &relay->routes[i];
	return NULL;
}

static void
route_learn(struct relay *relay, struct relay_region *region, const uint8_t key[KEY_LEN],
	    uint64_t now_ms)
{
	struct relay_route *r;

	if (relay->route_count == 0 && region == relay->home)
		return;
	r = route_find(relay, key);
	if (region == relay->home) {
		/* back on the home region: no special route any more */
		if (r != NULL)
			*r = relay->routes[--relay->route_count];
		return;
	}
	if (r == NULL) {
		if (relay->route_count == RELAY_ROUTES_MAX) {
			size_t oldest = 0;

			for (size_t i = 1; i < relay->route_count; i++)
				if (relay->routes[i].last_rx_ms < relay->routes[oldest].last_rx_ms)
					oldest = i;
			relay->routes[oldest] = relay->routes[--relay->route_count];
		}
		r = &relay->routes[relay->route_count++];
		memcpy(r->key, key, KEY_LEN);
	}
	r->region = region;
	r->last_rx_ms = now_ms;
}

static struct relay_region *
region_by_id(struct relay *relay, uint32_t id)
{
	for (size_t i = 0; i < relay->region_count; i++)
		if (relay->regions[i].id == id)
			return &relay->regions[i];
	return NULL;
}

static struct relay_region *
route_of(struct relay *relay, const uint8_t key[KEY_LEN])
{
	struct relay_route *r = relay->route_count != 0 ? route_find(relay, key) : NULL;
	uintptr_t hint = relay->peer_regions.count != 0
				 ? (uintptr_t)keymap_get(&relay->peer_regions, key)
				 : 0;

	if (hint != 0) {
		struct relay_region *region = region_by_id(relay, (uint32_t)hint);

		/* the peer's own home: connected on demand (the first packets wait for it) */
		if (region != NULL) {
			if (region->client == NULL ||
			    derp_client_state(region->client) == DERP_CLIENT_IDLE)
				region_connect(region, derp_client_now_ms());
			region->last_used_ms = derp_client_now_ms();
			return region;
		}
	}
	if (r != NULL && region_connected(r->region))
		return r->region;
	return relay->home;
}

void
relay_set_peer_region(struct relay *relay, const uint8_t key[KEY_LEN], uint32_t region)
{
	if (region == 0)
		keymap_del(&relay->peer_regions, key);
	else if (keymap_put(&relay->peer_regions, key, (void *)(uintptr_t)region) != 0)
		log_warn("relay: peer region table: out of memory");
}

/* ---- receiving ---- */

static void
region_on_packet(void *ctx, const uint8_t src[DERP_KEY_LEN], const uint8_t *packet, size_t len)
{
	struct relay_region *region = ctx;
	struct relay *relay = region->relay;
	enum wg_node_relay_verdict v;

	/* disco shares the relay with WireGuard (told apart by its magic, as on UDP) */
	if (relay->disco != NULL && relay->disco(relay->disco_ctx, src, packet, len)) {
		relay->disco_received++;
		region->last_used_ms = derp_client_now_ms();
		route_learn(relay, region, src, region->last_used_ms);
		return;
	}
	v = wg_node_relay_input(relay->node->wg, src, packet, len);
	region->rx_verdicts[v]++;
	if (v != WG_NODE_RELAY_ACCEPTED)
		return;
	region->last_used_ms = derp_client_now_ms();
	route_learn(relay, region, src, region->last_used_ms);
}

static void
region_on_event(void *ctx, const struct derp_client_event *ev)
{
	struct relay_region *region = ctx;
	uint64_t now_ms = derp_client_now_ms();

	switch (ev->type) {
	case DERP_CLIENT_EV_CONNECTED:
		log_info("relay: region %u (%s): connected to %s%s", region->id, region->code,
			 region->servers[region->server_index].name, region->home ? ", home" : "");
		region->failures_mark = derp_client_stats(region->client)->connect_failures;
		region->seen_connected_ms = now_ms;
		region->ping_outstanding = false;
		region->ping_misses = 0;
		region->next_ping_ms = now_ms; /* a first latency sample at once */
		relay_reschedule(region->relay);
		break;
	case DERP_CLIENT_EV_DISCONNECTED:
		/* the client logged why, except for a stop of ours (logged where it happens) */
		log_debug("relay: region %u (%s): disconnected: %s", region->id, region->code,
			  ev->detail != NULL ? ev->detail : "");
		region->ping_outstanding = false;
		break;
	case DERP_CLIENT_EV_PONG:
		if (region->ping_outstanding &&
		    memcmp(ev->ping, region->ping_data, DERP_PING_LEN) == 0) {
			uint64_t rtt_us = (loop_now() - region->ping_sent_ns) / 1000;

			if (rtt_us >= RELAY_LATENCY_UNKNOWN)
				rtt_us = RELAY_LATENCY_UNKNOWN - 1;
			relay_latency_add(&region->latency, now_ms, (uint32_t)rtt_us);
			region->ping_outstanding = false;
			region->ping_misses = 0;
		}
		break;
	case DERP_CLIENT_EV_HEALTH:
		if (ev->detail != NULL && ev->detail[0] != '\0')
			log_warn("relay: region %u (%s): server health: %s", region->id,
				 region->code, ev->detail);
		else
			log_info("relay: region %u (%s): server healthy again", region->id,
				 region->code);
		break;
	case DERP_CLIENT_EV_RESTARTING:
		log_info("relay: region %u (%s): server restarting: reconnect in %u ms, for %u ms",
			 region->id, region->code, ev->reconnect_in_ms, ev->try_for_ms);
		break;
	case DERP_CLIENT_EV_PEER_GONE:
	case DERP_CLIENT_EV_PEER_PRESENT:
		break; /* counted by the client; path selection will want them */
	}
}

/* ---- sending ---- */

int
relay_send(struct relay *relay, const uint8_t peer_key[KEY_LEN], const uint8_t *msg, size_t len)
{
	struct relay_region *region = route_of(relay, peer_key);
	uint64_t now_ms;
	int rc;

	if (region == NULL || region->client == NULL) {
		relay->node->counters[CC_relay_unavailable]++;
		return -1;
	}
	now_ms = derp_client_now_ms();
	rc = derp_client_send(region->client, peer_key, msg, len, now_ms);
	if (rc == 0) {
		region->last_used_ms = now_ms;
		/* the first queued packet asks for EPOLLOUT; the rest find it asked */
		if (region->reg_events != derp_client_events(region->client))
			region_sync(region);
	}
	return rc;
}

void
relay_send_upcall(struct relay *relay, struct rte_mbuf *m)
{
	struct dp_peer *peer = wg_data_peer(relay->node->dp, dp_meta(m)->peer_id);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *msg;

	if (peer == NULL) {
		relay->peer_gone++;
	} else {
		/* longer than DERP carries: derp_client_send counts it as too_big unread */
		msg = len <= DERP_MAX_PACKET_LEN ? rte_pktmbuf_read(m, 0, len, relay->scratch)
						 : relay->scratch;
		relay_send(relay, peer->public_key, msg, len);
	}
	rte_pktmbuf_free(m);
}

void
relay_set_disco_handler(struct relay *relay, relay_disco_fn fn, void *ctx)
{
	relay->disco = fn;
	relay->disco_ctx = ctx;
}

uint32_t
relay_home_region(const struct relay *relay, bool *connected)
{
	*connected = relay->home != NULL && region_connected(relay->home);
	if (relay->home != NULL)
		return relay->home->id;
	/* before the first timer turn chose one: the map's first region stands for it */
	return relay->region_count != 0 ? relay->regions[0].id : 0;
}

uint32_t
relay_region_of_peer(struct relay *relay, const uint8_t peer_key[KEY_LEN])
{
	const struct relay_region *region = route_of(relay, peer_key);

	return region != NULL && region_connected(region) ? region->id : 0;
}

/* ---- the home region ---- */

/* true once at least span ms have passed since then (a time taken later than now counts as
 * now: callbacks may stamp a millisecond ahead of the caller's clock reading) */
static bool
elapsed(uint64_t now_ms, uint64_t then_ms, uint64_t span_ms)
{
	return now_ms > then_ms && now_ms - then_ms >= span_ms;
}

static void
set_home(struct relay *relay, struct relay_region *region, uint64_t now_ms)
{
	struct relay_region *old = relay->home;

	if (old == region)
		return;
	if (old != NULL) {
		old->home = false;
		old->last_used_ms = now_ms; /* closes when idle, like any other region */
		if (old->client != NULL)
			derp_client_note_preferred(old->client, false);
		region_sync(old);
		relay->home_changes++;
	}
	relay->home = region;
	region->home = true;
	/* a new home has the grace period to connect before it can lose its rank */
	if (region->seen_connected_ms < now_ms)
		region->seen_connected_ms = now_ms;
	if (region->client != NULL)
		derp_client_note_preferred(region->client, true); /* remembered for the login */
	if (region_connect(region, now_ms) != 0)
		log_warn("relay: home region %u (%s): no usable DERP server", region->id,
			 region->code);
	log_info("relay: home region %u (%s)%s", region->id, region->code,
		 relay->forced_home != 0 ? ", forced by derp.home_region" :
		 old != NULL ? ", chosen by latency" : ", until measured");
}

static void
choose_home(struct relay *relay, uint64_t now_ms)
{
	struct relay_home_candidate *c = relay->candidates;
	struct relay_region *home = relay->home;
	bool reachable;
	size_t n = 0;
	uint32_t id;

	/* a new (or reconnecting) home has the grace period to connect and be measured before
	 * a region that happened to answer first can take its place */
	if (home != NULL && !elapsed(now_ms, home->seen_connected_ms, RELAY_HOME_GRACE_MS) &&
	    relay_latency_best(&home->latency, now_ms) == RELAY_LATENCY_UNKNOWN)
		return;

	for (size_t i = 0; i < relay->region_count; i++) {
		struct relay_region *r = &relay->regions[i];

		if (r->server_count == 0)
			continue;
		/* a region's latency counts while it is reachable: connected, or (the home) lost
		 * for less than the grace period, so a relay restart does not move the home */
		reachable = region_connected(r) ||
			    (r->home &&
			     !elapsed(now_ms, r->seen_connected_ms, RELAY_HOME_GRACE_MS));
		c[n++] = (struct relay_home_candidate){
			r->id, reachable ? relay_latency_best(&r->latency, now_ms)
					 : RELAY_LATENCY_UNKNOWN};
	}
	id = relay_home_choose(c, n, relay->home != NULL ? relay->home->id : 0, relay->forced_home);
	for (size_t i = 0; id != 0 && i < relay->region_count; i++)
		if (relay->regions[i].id == id)
			set_home(relay, &relay->regions[i], now_ms);
}

/* ---- the timer: deadlines, pings, probes, idle closes ---- */

/* Pings and the dead-connection rule of one connected region; its next deadline (ms). */
static uint64_t
region_ping(struct relay_region *region, uint64_t now_ms)
{
	if (region->ping_outstanding && now_ms - region->ping_sent_ms >= RELAY_PING_TIMEOUT_MS) {
		region->ping_outstanding = false;
		region->ping_timeouts++;
		region->next_ping_ms = now_ms; /* a miss is checked again at once, not in 10 s */
		if (++region->ping_misses >= RELAY_PING_MISSES_DEAD) {
			log_warn("relay: region %u (%s): %u pings unanswered: reconnecting",
				 region->id, region->code, region->ping_misses);
			region->dead_restarts++;
			region->ping_misses = 0;
			derp_client_stop(region->client);
			derp_client_start(region->client, now_ms);
			region_sync(region);
			return now_ms;
		}
	}
	if (!region->ping_outstanding && now_ms >= region->next_ping_ms) {
		randombytes_buf(region->ping_data, sizeof(region->ping_data));
		if (derp_client_ping(region->client, region->ping_data) == 0) {
			region->ping_outstanding = true;
			region->ping_sent_ns = loop_now();
			region->ping_sent_ms = now_ms;
			region_sync(region);
		}
		region->next_ping_ms = now_ms + RELAY_PING_INTERVAL_MS;
	}
	return region->ping_outstanding ? region->ping_sent_ms + RELAY_PING_TIMEOUT_MS
					: region->next_ping_ms;
}

/* After repeated failed connects, the region's next server (when it has several). */
static void
region_maybe_switch_server(struct relay_region *region, uint64_t now_ms)
{
	const struct derp_client_stats *st = derp_client_stats(region->client);

	if (region->server_count < 2 ||
	    st->connect_failures - region->failures_mark < RELAY_NODE_ROTATE_FAILURES)
		return;
	region_close(region);
	region->server_index = (region->server_index + 1) % region->server_count;
	region->server_switches++;
	log_info("relay: region %u (%s): trying server %s", region->id, region->code,
		 region->servers[region->server_index].name);
	region_connect(region, now_ms);
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t
relay_timer(struct loop *loop, uint64_t now_ns, void *arg)
{
	struct relay *relay = arg;
	uint64_t now_ms = derp_client_now_ms(), next_ms = UINT64_MAX;

	(void)loop;
	if (relay->region_count == 0)
		return LOOP_NEVER;
	/* a home lost for longer than the grace period: measure the others now, to move */
	if (relay->home != NULL && !region_connected(relay->home) &&
	    elapsed(now_ms, relay->home->seen_connected_ms, RELAY_HOME_GRACE_MS) &&
	    elapsed(now_ms, relay->last_probe_ms, RELAY_PROBE_RETRY_MS))
		relay->next_probe_ms = now_ms;
	if (relay->forced_home == 0 && relay->region_count > 1 && now_ms >= relay->next_probe_ms) {
		/* measure every region now and then; unused ones close again after a while */
		for (size_t i = 0; i < relay->region_count; i++) {
			struct relay_region *r = &relay->regions[i];

			if (r->client == NULL || derp_client_state(r->client) == DERP_CLIENT_IDLE)
				r->last_used_ms = now_ms;
			region_connect(r, now_ms);
		}
		relay->last_probe_ms = now_ms;
		relay->next_probe_ms = now_ms + RELAY_PROBE_INTERVAL_MS;
	}
	choose_home(relay, now_ms);
	for (size_t i = 0; i < relay->region_count; i++) {
		struct relay_region *r = &relay->regions[i];

		if (r->client == NULL)
			continue;
		if (!r->home && elapsed(now_ms, r->last_used_ms, RELAY_IDLE_CLOSE_MS)) {
			log_info("relay: region %u (%s): idle for %u s: closing", r->id, r->code,
				 RELAY_IDLE_CLOSE_MS / 1000);
			region_close(r);
			continue;
		}
		if (derp_client_next_deadline(r->client) <= now_ms) {
			derp_client_dispatch(r->client, 0, now_ms);
			region_sync(r);
		}
		if (region_connected(r)) {
			r->seen_connected_ms = now_ms;
			next_ms = earliest(next_ms, region_ping(r, now_ms));
		} else {
			region_maybe_switch_server(r, now_ms);
			/* when a lost home stops counting, or may be probed around again */
			uint64_t grace_end = r->seen_connected_ms + RELAY_HOME_GRACE_MS;
			uint64_t retry = relay->last_probe_ms + RELAY_PROBE_RETRY_MS;

			if (r->home && grace_end > now_ms)
				next_ms = earliest(next_ms, grace_end);
			else if (r->home && relay->forced_home == 0 && relay->region_count > 1)
				next_ms = earliest(next_ms, retry);
		}
		if (r->client == NULL)
			continue;
		next_ms = earliest(next_ms, derp_client_next_deadline(r->client));
		if (!r->home)
			next_ms = earliest(next_ms, r->last_used_ms + RELAY_IDLE_CLOSE_MS);
	}
	for (size_t i = 0; i < relay->route_count;) {
		if (elapsed(now_ms, relay->routes[i].last_rx_ms, RELAY_ROUTE_IDLE_MS))
			relay->routes[i] = relay->routes[--relay->route_count];
		else
			i++;
	}
	if (relay->forced_home == 0 && relay->region_count > 1)
		next_ms = earliest(next_ms, relay->next_probe_ms);
	/* a dispatch may have taken handshakes */
	wg_node_flush(relay->node->wg);
	return loop_time_of(next_ms, now_ms, now_ns);
}

/* ---- life cycle ---- */

static void
server_free(struct relay_server *s)
{
	free(s->name);
	free(s->host_name);
	free(s->cert_name);
	free(s->ipv4);
	free(s->ipv6);
}

static void
regions_free(struct relay *relay)
{
	for (size_t i = 0; i < relay->region_count; i++) {
		struct relay_region *r = &relay->regions[i];

		region_close(r);
		for (size_t j = 0; j < r->server_count; j++)
			server_free(&r->servers[j]);
		free(r->servers);
		free(r->code);
	}
	free(relay->regions);
	relay->regions = NULL;
	free(relay->candidates);
	relay->candidates = NULL;
	relay->region_count = 0;
	relay->home = NULL;
	relay->route_count = 0;
}

static bool
is_address(const char *text)
{
	uint8_t buf[16];

	return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

/* A node of the map as a server to connect to; 1 taken, 0 left out (logged), -1 no memory. */
static int
server_load(struct relay_server *s, const struct config_derp_node *n, uint32_t region_id)
{
	const char *ipv4 = n->ipv4, *ipv6 = n->ipv6;

	if (n->stun_only)
		return 0;
	/* "" means "resolve host_name": the loop never blocks on DNS, so only a host_name that
	 * is itself an address literal stands in */
	if (ipv4[0] == '\0')
		ipv4 = strchr(n->host_name, ':') == NULL && is_address(n->host_name) ? n->host_name
										      : "none";
	if (ipv6[0] == '\0')
		ipv6 = strchr(n->host_name, ':') != NULL && is_address(n->host_name) ? n->host_name
										      : "none";
	if (strcmp(ipv4, "none") == 0 && strcmp(ipv6, "none") == 0) {
		log_warn("relay: region %u: node %s: no ipv4/ipv6 address literal (host names are "
			 "not resolved yet): left out", region_id, n->name);
		return 0;
	}
	s->name = strdup(n->name);
	s->host_name = strdup(n->host_name);
	s->cert_name = strdup(n->cert_name);
	s->ipv4 = strdup(ipv4);
	s->ipv6 = strdup(ipv6);
	s->port = n->derp_port;
	if (s->name == NULL || s->host_name == NULL || s->cert_name == NULL || s->ipv4 == NULL ||
	    s->ipv6 == NULL) {
		server_free(s);
		return -1;
	}
	return 1;
}

static int
regions_load(struct relay *relay, const struct config_derp *derp)
{
	relay->regions = calloc(derp->region_count ? derp->region_count : 1,
				sizeof(*relay->regions));
	relay->candidates = calloc(derp->region_count ? derp->region_count : 1,
				   sizeof(*relay->candidates));
	if (relay->regions == NULL || relay->candidates == NULL)
		return -1;
	relay->forced_home = derp->home_region;
	for (size_t i = 0; i < derp->region_count; i++) {
		const struct config_derp_region *cr = &derp->regions[i];
		struct relay_region *r = &relay->regions[i];

		relay->region_count++;
		r->relay = relay;
		r->id = cr->region_id;
		r->reg_fd = -1;
		r->code = strdup(cr->region_code);
		r->servers = calloc(cr->node_count ? cr->node_count : 1, sizeof(*r->servers));
		if (r->code == NULL || r->servers == NULL)
			return -1;
		for (size_t j = 0; j < cr->node_count; j++) {
			int rc = server_load(&r->servers[r->server_count], &cr->nodes[j], r->id);

			if (rc < 0)
				return -1;
			r->server_count += (size_t)rc;
		}
		if (r->server_count == 0)
			log_warn("relay: region %u (%s): no DERP server to connect to", r->id,
				 r->code);
	}
	return 0;
}

/* The timer's next run (the loop's first turn, once the workers carry the kernel's packets)
 * chooses a provisional home, connects it and, to measure them, every other region. */
static void
regions_start(struct relay *relay)
{
	relay->next_probe_ms = derp_client_now_ms();
	relay_reschedule(relay);
}

struct relay *
relay_create(struct node *node)
{
	struct relay *relay = calloc(1, sizeof(*relay));

	if (relay == NULL)
		return NULL;
	relay->node = node;
	relay->timer = -1;
	memcpy(relay->private_key, node->config->node.private_key, KEY_LEN);
	relay->scratch = malloc(DERP_MAX_PACKET_LEN + 1);
	if (relay->scratch == NULL || keymap_init(&relay->peer_regions, 0) != 0 ||
	    regions_load(relay, &node->config->derp) != 0) {
		log_error("relay: out of memory");
		goto fail;
	}
	relay->timer = loop_add_timer(node->loop, relay_timer, relay, LOOP_NEVER);
	if (relay->timer < 0) {
		log_error("relay: no loop timer left");
		goto fail;
	}
	if (relay->region_count != 0)
		regions_start(relay);
	return relay;
fail:
	relay_destroy(relay);
	return NULL;
}

void
relay_destroy(struct relay *relay)
{
	if (relay == NULL)
		return;
	regions_free(relay);
	if (relay->timer >= 0)
		loop_del_timer(relay_loop(relay), relay->timer);
	free(relay->scratch);
	keymap_free(&relay->peer_regions);
	sodium_memzero(relay->private_key, sizeof(relay->private_key));
	free(relay);
}

int
relay_apply_config(struct relay *relay, const struct config *config)
{
	const struct config *old = relay->node->config;

	if (config_section_equal(config, old, "derp") &&
	    sodium_memcmp(config->node.private_key, relay->private_key, KEY_LEN) == 0)
		return 0;
	log_info("relay: DERP map or key changed: reconnecting");
	regions_free(relay);
	memcpy(relay->private_key, config->node.private_key, KEY_LEN);
	if (regions_load(relay, &config->derp) != 0) {
		log_warn("relay: out of memory loading the DERP map: relay off");
		regions_free(relay);
		return -1;
	}
	if (relay->region_count != 0)
		regions_start(relay);
	return 0;
}

int
relay_set_derp_map(struct relay *relay, const struct config_derp *derp)
{
	log_info("relay: DERP map from control: %zu region%s", derp->region_count,
		 derp->region_count == 1 ? "" : "s");
	regions_free(relay);
	if (regions_load(relay, derp) != 0) {
		log_warn("relay: out of memory loading the DERP map: relay off");
		regions_free(relay);
		return -1;
	}
	if (relay->region_count != 0)
		regions_start(relay);
	return 0;
}

void
relay_set_private_key(struct relay *relay, const uint8_t private_key[KEY_LEN])
{
	uint64_t now_ms = derp_client_now_ms();

	if (sodium_memcmp(private_key, relay->private_key, KEY_LEN) == 0)
		return;
	memcpy(relay->private_key, private_key, KEY_LEN);
	for (size_t i = 0; i < relay->region_count; i++) {
		struct relay_region *r = &relay->regions[i];

		if (r->client == NULL)
			continue;
		region_close(r);
		region_connect(r, now_ms);
	}
	relay_reschedule(relay);
}

/* ---- status and stats ---- */

static const char *
region_state(const struct relay_region *r)
{
	if (r->server_count == 0)
		return "unusable";
	if (r->client == NULL)
		return "closed";
	return derp_client_state_name(derp_client_state(r->client));
}

static void
format_latency(char *buf, size_t size, uint32_t us)
{
	if (us == RELAY_LATENCY_UNKNOWN)
		snprintf(buf, size, "null");
	else
		snprintf(buf, size, "%.3f", us / 1000.0);
}

void
relay_status(struct relay *relay, struct strbuf *out, bool json)
{
	uint64_t now_ms = derp_client_now_ms();

	if (json)
		strbuf_printf(out, ",\"relay\":{\"home_region\":%u,\"home_forced\":%s,"
				   "\"regions\":[",
			      relay->home != NULL ? relay->home->id : 0,
			      relay->forced_home != 0 ? "true" : "false");
	else if (relay->region_count == 0)
		strbuf_puts(out, "relay: no DERP map\n");
	else if (relay->home != NULL)
		strbuf_printf(out, "relay: home region %u (%s), %s\n", relay->home->id,
			      relay->home->code,
			      relay->forced_home != 0 ? "forced" : "chosen by latency");
	for (size_t i = 0; i < relay->region_count; i++) {
		const struct relay_region *r = &relay->regions[i];
		const struct relay_server *s =
			r->server_count != 0 ? &r->servers[r->server_index] : NULL;
		const char *health = r->client != NULL ? derp_client_health(r->client) : "";
		char best[32], last[32];

		format_latency(best, sizeof(best), relay_latency_best(&r->latency, now_ms));
		format_latency(last, sizeof(last), relay_latency_last(&r->latency, now_ms));
		if (json) {
			strbuf_printf(out, "%s{\"region_id\":%u,\"code\":", i ? "," : "", r->id);
			strbuf_json_string(out, r->code);
			strbuf_puts(out, ",\"server\":");
			strbuf_json_string(out, s != NULL ? s->name : "");
			strbuf_printf(out, ",\"state\":\"%s\",\"connected\":%s,\"home\":%s,"
					   "\"latency_ms\":%s,\"last_latency_ms\":%s,\"health\":",
				      region_state(r), region_connected(r) ? "true" : "false",
				      r->home ? "true" : "false", best, last);
			strbuf_json_string(out, health);
			strbuf_puts(out, "}");
		} else {
			strbuf_printf(out,
				      "  region %u (%s): %s%s%s, latency %s ms (last %s)%s%s%s\n",
				      r->id, r->code, region_state(r), s != NULL ? " to " : "",
				      s != NULL ? s->name : "", best, last, r->home ? ", home" : "",
				      health[0] != '\0' ? ", health: " : "", health);
		}
	}
	if (json)
		strbuf_puts(out, "]}");
}

void
relay_stats(struct relay *relay, struct strbuf *out, bool json)
{
	uint64_t now_ms = derp_client_now_ms();

	if (json)
		strbuf_printf(out, ",\"relay\":{\"home_changes\":%llu,\"peer_gone\":%llu,"
				   "\"regions\":[",
			      (unsigned long long)relay->home_changes,
			      (unsigned long long)relay->peer_gone);
	else
		strbuf_printf(out, "relay: %llu home changes\n",
			      (unsigned long long)relay->home_changes);
	for (size_t i = 0; i < relay->region_count; i++) {
		const struct relay_region *r = &relay->regions[i];
		struct derp_client_stats st;
		char best[32];

		stats_total(r, &st);
		format_latency(best, sizeof(best), relay_latency_best(&r->latency, now_ms));
		if (json) {
			strbuf_printf(out, "%s{\"region_id\":%u,\"state\":\"%s\",\"latency_ms\":%s,"
					   "\"packets_sent\":%llu,\"bytes_sent\":%llu,"
					   "\"packets_received\":%llu,\"bytes_received\":%llu,"
					   "\"connect_attempts\":%llu,\"connects\":%llu,"
					   "\"connect_failures\":%llu,\"disconnects\":%llu,"
					   "\"timeouts\":%llu,\"ping_timeouts\":%llu,"
					   "\"dead_restarts\":%llu,\"server_switches\":%llu,"
					   "\"keepalives_received\":%llu,\"pongs_received\":%llu,"
					   "\"pings_received\":%llu,\"peer_gone_received\":%llu,"
					   "\"health_received\":%llu,\"restarting_received\":%llu,"
					   "\"drops\":{\"not_connected\":%llu,\"queue_full\":%llu,"
					   "\"rate_limited\":%llu,\"too_big\":%llu",
				      i ? "," : "", r->id, region_state(r), best,
				      (unsigned long long)st.packets_sent,
				      (unsigned long long)st.bytes_sent,
				      (unsigned long long)st.packets_received,
				      (unsigned long long)st.bytes_received,
				      (unsigned long long)st.connect_attempts,
				      (unsigned long long)st.connects,
				      (unsigned long long)st.connect_failures,
				      (unsigned long long)st.disconnects,
				      (unsigned long long)st.timeouts,
				      (unsigned long long)r->ping_timeouts,
				      (unsigned long long)r->dead_restarts,
				      (unsigned long long)r->server_switches,
				      (unsigned long long)st.keepalives_received,
				      (unsigned long long)st.pongs_received,
				      (unsigned long long)st.pings_received,
				      (unsigned long long)st.peer_gone_received,
				      (unsigned long long)st.health_received,
				      (unsigned long long)st.restarting_received,
				      (unsigned long long)st.drop_not_connected,
				      (unsigned long long)st.drop_queue_full,
				      (unsigned long long)st.drop_rate_limited,
				      (unsigned long long)st.drop_too_big);
			for (int v = WG_NODE_RELAY_ACCEPTED + 1; v < WG_NODE_RELAY_VERDICTS; v++)
				strbuf_printf(out, ",\"%s\":%llu",
					      wg_node_relay_verdict_name(
						      (enum wg_node_relay_verdict)v),
					      (unsigned long long)r->rx_verdicts[v]);
			strbuf_puts(out, "}}");
		} else {
			strbuf_printf(out, "  region %u (%s): %s, latency %s ms; sent %llu "
					   "packets (%llu bytes), received %llu (%llu bytes); "
					   "%llu connects (%llu attempts, %llu failed), %llu "
					   "disconnects, %llu timeouts, %llu ping timeouts, %llu "
					   "restarting notices\n",
				      r->id, r->code, region_state(r), best,
				      (unsigned long long)st.packets_sent,
				      (unsigned long long)st.bytes_sent,
				      (unsigned long long)st.packets_received,
				      (unsigned long long)st.bytes_received,
				      (unsigned long long)st.connects,
				      (unsigned long long)st.connect_attempts,
				      (unsigned long long)st.connect_failures,
				      (unsigned long long)st.disconnects,
				      (unsigned long long)st.timeouts,
				      (unsigned long long)r->ping_timeouts,
				      (unsigned long long)st.restarting_received);
			if (st.drop_not_connected + st.drop_queue_full + st.drop_rate_limited +
			    st.drop_too_big != 0)
				strbuf_printf(out, "    send drops: not connected %llu, queue full "
						   "%llu, rate limited %llu, too big %llu\n",
					      (unsigned long long)st.drop_not_connected,
					      (unsigned long long)st.drop_queue_full,
					      (unsigned long long)st.drop_rate_limited,
					      (unsigned long long)st.drop_too_big);
			for (int v = WG_NODE_RELAY_ACCEPTED + 1; v < WG_NODE_RELAY_VERDICTS; v++)
				if (r->rx_verdicts[v] != 0)
					strbuf_printf(out, "    receive drop %-16s %llu\n",
						      wg_node_relay_verdict_name(
							      (enum wg_node_relay_verdict)v),
						      (unsigned long long)r->rx_verdicts[v]);
		}
	}
	if (json)
		strbuf_puts(out, "]}");
}

/* ---- figures for reports ---- */

int
relay_region_walk(struct relay *relay, relay_region_fn fn, void *arg)
{
	uint64_t now_ms = derp_client_now_ms();

	for (size_t i = 0; i < relay->region_count; i++) {
		const struct relay_region *r = &relay->regions[i];
		uint32_t latency = relay_latency_best(&r->latency, now_ms);
		struct relay_region_figures f = {
			.id = r->id,
			.code = r->code,
			.state = region_state(r),
			.connected = region_connected(r),
			.home = r->home,
			.latency_known = latency != RELAY_LATENCY_UNKNOWN,
			.latency_us = latency,
			.ping_timeouts = r->ping_timeouts,
			.dead_restarts = r->dead_restarts,
			.server_switches = r->server_switches,
		};
		int rc;

		stats_total(r, &f.stats);
		memcpy(f.rx_dropped, r->rx_verdicts, sizeof(f.rx_dropped));
		f.rx_dropped[WG_NODE_RELAY_ACCEPTED] = 0;
		rc = fn(&f, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

uint64_t
relay_home_changes(const struct relay *relay)
{
	return relay->home_changes;
}
