/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One peer's path: its candidate endpoints, the pings in flight, the best endpoint and how long
 * it is trusted, the data-driven failover, and the route that follows from all of it. The rules
 * and their names follow Tailscale's magicsock endpoint (protocols.md section 3).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "log.h"
#include "loop.h"
#include "path_internal.h"

static const uint64_t NS_PER_MS = 1000000ull;

/* Tailscale's magic DERP address: a pong over DERP names 127.3.3.40:<region> as its source */
static const uint8_t derp_magic_ip[4] = {127, 3, 3, 40};

static uint64_t
ms(uint64_t n)
{
	return n * NS_PER_MS;
}

bool
peer_path_disco_mode(const struct path_peer *peer)
{
	return peer->pin == CONFIG_PATH_AUTO && peer->has_disco_key && peer->shared_ok;
}

static bool
relay_available(const struct path_peer *peer)
{
	const struct path *path = peer->path;
	bool connected = false;

	return path->hooks.relay_home(path->hooks.ctx, &connected) != 0;
}

/* ---- candidates ---- */

static struct path_candidate *
cand_find(struct path_peer *peer, const struct netendpoint *ep)
{
	for (size_t i = 0; i < peer->candidate_count; i++)
		if (netendpoint_equal(&peer->candidates[i].ep, ep))
			return &peer->candidates[i];
	return NULL;
}

static bool
usable_endpoint(const struct netendpoint *ep)
{
	static const uint8_t zero[16];

	if (ep->port == 0 || (ep->addr.family != AF_INET && ep->addr.family != AF_INET6))
		return false;
	if (memcmp(ep->addr.bytes, zero, ep->addr.family == AF_INET ? 4 : 16) == 0)
		return false;
	/* multicast is nobody's endpoint */
	if (ep->addr.family == AF_INET ? (ep->addr.bytes[0] & 0xf0) == 0xe0
				       : ep->addr.bytes[0] == 0xff)
		return false;
	/* DERP's magic address in a peer's list is not a UDP endpoint */
	if (ep->addr.family == AF_INET && memcmp(ep->addr.bytes, derp_magic_ip, 4) == 0)
		return false;
	return true;
}

static void
cand_remove(struct path_peer *peer, size_t i)
{
	peer->candidates[i] = peer->candidates[--peer->candidate_count];
}

static struct path_candidate *
cand_add(struct path_peer *peer, const struct netendpoint *ep, enum path_candidate_source source,
	 uint64_t now)
{
	struct path_candidate *c = cand_find(peer, ep);

	if (c != NULL)
		return c;
	if (!usable_endpoint(ep))
		return NULL;
	if (peer->candidate_count == PATH_CANDIDATES_MAX) {
		/* full: the oldest that never answered makes room, else the oldest */
		size_t victim = PATH_CANDIDATES_MAX;

		for (size_t i = 0; i < peer->candidate_count; i++) {
			const struct path_candidate *o = &peer->candidates[i];

			if (peer->has_best && netendpoint_equal(&o->ep, &peer->best))
				continue;
			if (victim == PATH_CANDIDATES_MAX ||
			    (o->pongs == 0 && peer->candidates[victim].pongs != 0) ||
			    ((o->pongs == 0) == (peer->candidates[victim].pongs == 0) &&
			     o->added_ns < peer->candidates[victim].added_ns))
				victim = i;
		}
		if (victim == PATH_CANDIDATES_MAX)
			return NULL;
		cand_remove(peer, victim);
	}
	c = &peer->candidates[peer->candidate_count++];
	memset(c, 0, sizeof(*c));
	c->ep = *ep;
	c->source = (uint8_t)source;
	c->added_ns = now;
	return c;
}

/* Replace the candidates of one source by a new list (CallMeMaybe, Hello, control). */
static void
cand_replace_source(struct path_peer *peer, enum path_candidate_source source,
		    const struct netendpoint *eps, size_t n, uint64_t now)
{
	for (size_t i = 0; i < peer->candidate_count; i++)
		if (peer->candidates[i].source == source)
			peer->candidates[i].listed = false;
	for (size_t i = 0; i < n; i++) {
		struct path_candidate *c = cand_add(peer, &eps[i], source, now);

		if (c != NULL)
			c->listed = true;
	}
	for (size_t i = 0; i < peer->candidate_count;) {
		const struct path_candidate *c = &peer->candidates[i];

		if (c->source == source && !c->listed &&
		    !(peer->has_best && netendpoint_equal(&c->ep, &peer->best)))
			cand_remove(peer, i);
		else
			i++;
	}
}

/* ---- address quality (Tailscale's betterAddr) ---- */

static int
address_bonus(const struct netaddr *a)
{
	const uint8_t *b = a->bytes;
	int points = 0;

	if (a->family == AF_INET) {
		if (b[0] == 127)
			points += 50;
		else if (b[0] == 169 && b[1] == 254)
			points += 30;
		else if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
			 (b[0] == 192 && b[1] == 168))
			points += 20;
	} else {
		static const uint8_t loopback[16] = {[15] = 1};

		if (memcmp(b, loopback, 16) == 0)
			points += 50;
		else if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
			points += 30;
		else if ((b[0] & 0xfe) == 0xfc)
			points += 20;
		points += 10; /* IPv6 is a bit more robust (no NAT state to lose) */
	}
	return points;
}

/* true when endpoint a (latency la) should replace b (latency lb) */
static bool
better_address(const struct netendpoint *a, uint32_t la, const struct netendpoint *b,
	       uint32_t lb)
{
	int ap = 0, bp = 0;

	if (netendpoint_equal(a, b))
		return false;
	if (la > lb && la > 0)
		bp = (int)(100 - ((uint64_t)lb * 100) / la);
	else if (lb > 0)
		ap = (int)(100 - ((uint64_t)la * 100) / lb);
	ap += address_bonus(&a->addr);
	bp += address_bonus(&b->addr);
	/* a lead of a point or less is no reason to move (hysteresis) */
	if (ap <= 1 && bp == 0)
		return false;
	return ap > bp;
}

/* ---- pings ---- */

static struct path_ping *
ping_slot(struct path_peer *peer, uint64_t now)
{
	struct path_ping *oldest = &peer->pings[0];

	for (size_t i = 0; i < PATH_PINGS_MAX; i++) {
		if (!peer->pings[i].used)
			return &peer->pings[i];
		if (peer->pings[i].sent_ns < oldest->sent_ns)
			oldest = &peer->pings[i];
	}
	(void)now;
	/* full: the oldest is as good as lost */
	return oldest;
}

static void
ping_send(struct path_peer *peer, const struct netendpoint *to, bool via_derp,
	  enum path_ping_purpose purpose, struct path_ping_request *request, uint64_t now)
{
	struct path *path = peer->path;
	struct path_ping *p = ping_slot(peer, now);
	struct disco_message m = {.type = DISCO_PING};

	memset(p, 0, sizeof(*p));
	randombytes_buf(p->txid, sizeof(p->txid));
	p->used = true;
	p->purpose = (uint8_t)purpose;
	p->via_derp = via_derp;
	p->sent_ns = now;
	p->request = request;
	memcpy(m.ping.txid, p->txid, DISCO_TXID_LEN);
	m.ping.has_node_key = true;
	memcpy(m.ping.node_key, path->node_public, PATH_KEY_LEN);
	if (via_derp) {
		if (path_send_disco_derp(path, peer, &m) != 0) {
			p->used = false;
			return;
		}
	} else {
		struct path_candidate *c = cand_find(peer, to);

		/* the bookkeeping before the send: whatever the send sets off sees it done */
		p->to = *to;
		if (c != NULL) {
			c->last_ping_ns = now;
			c->pings++;
		}
		path_send_disco_udp(path, peer, to, &m);
		if (log_get_level() >= LOG_LEVEL_DEBUG) {
			char ep[NETADDR_TEXT_MAX];

			log_debug("path: peer %s: ping %s (%s)", peer->name,
				  netendpoint_format(to, ep, sizeof(ep)),
				  purpose == PING_HEARTBEAT   ? "heartbeat"
				  : purpose == PING_FAILOVER  ? "failover probe"
				  : purpose == PING_CLI       ? "exitgatectl ping"
							      : "discovery");
		}
	}
	path->counters[PC_pings_sent]++;
}

static void
send_call_me_maybe(struct path_peer *peer, uint64_t now)
{
	struct path *path = peer->path;
	struct disco_message m = {.type = DISCO_CALL_ME_MAYBE};
	uint8_t types[DISCO_ENDPOINTS_MAX];

	m.call_me_maybe.count = netcheck_endpoints(path, m.call_me_maybe.endpoints, types,
						   DISCO_ENDPOINTS_MAX);
	if (m.call_me_maybe.count == 0)
		return;
	if (path_send_disco_derp(path, peer, &m) == 0) {
		peer->last_call_me_maybe_ns = now;
		path->counters[PC_call_me_maybe_sent]++;
		log_debug("path: peer %s: CallMeMaybe with %zu endpoints", peer->name,
			  m.call_me_maybe.count);
	}
	/* our endpoints older than Tailscale's freshness rule: a STUN round refreshes them for the
	 * next CallMeMaybe (the peer's pings open the path meanwhile) */
	if (!path->round_running && now - path->endpoints_ns > ms(PATH_ENDPOINTS_FRESH_MS))
		netcheck_start_round(path, now);
}

/* Ping every candidate not pinged within PATH_PING_INTERVAL_MS; and ask the peer to ping back. */
static void
send_pings_all(struct path_peer *peer, bool call_me_maybe, enum path_ping_purpose purpose,
	       struct path_ping_request *request, uint64_t now)
{
	for (size_t i = 0; i < peer->candidate_count; i++) {
		struct path_candidate *c = &peer->candidates[i];

		if (c->last_ping_ns != 0 && now - c->last_ping_ns < ms(PATH_PING_INTERVAL_MS) &&
		    purpose != PING_CLI)
			continue;
		ping_send(peer, &c->ep, false, purpose, request, now);
	}
	peer->last_full_ping_ns = now;
	if (call_me_maybe && relay_available(peer))
		send_call_me_maybe(peer, now);
}

static bool
trusted(const struct path_peer *peer, uint64_t now)
{
	return peer->has_best && now < peer->trust_until_ns && !peer->failed_over;
}

/* Tailscale's wantFullPingLocked: discovery when there is no good path, and now and then to
 * find a faster one. */
static bool
want_full_ping(const struct path_peer *peer, uint64_t now)
{
	/* no candidate yet still wants a round: its CallMeMaybe gives the peer ours */
	if (!peer->has_best || peer->last_full_ping_ns == 0 || !trusted(peer, now))
		return peer->last_full_ping_ns == 0 ||
		       now - peer->last_full_ping_ns >= ms(PATH_PING_INTERVAL_MS);
	if (peer->best_latency_us <= PATH_GOOD_ENOUGH_US)
		return false;
	return now - peer->last_full_ping_ns >= ms(PATH_UPGRADE_INTERVAL_MS);
}

/* ---- the route ---- */

static void
route_compute(const struct path_peer *peer, uint64_t now, struct path_route *r)
{
	const struct netendpoint *legacy = peer->has_heard            ? &peer->heard
					   : peer->has_config_endpoint ? &peer->config_endpoint
								       : NULL;
	bool relay_ok = relay_available(peer);

	memset(r, 0, sizeof(*r));
	switch (peer->pin) {
	case CONFIG_PATH_RELAY:
		r->relay = true;
		return;
	case CONFIG_PATH_DIRECT:
		if (legacy != NULL) {
			r->udp = true;
			r->endpoint = *legacy;
		}
		return;
	case CONFIG_PATH_AUTO:
		break;
	}
	if (!peer_path_disco_mode(peer)) {
		/* WireGuard roaming; the relay while no endpoint is known */
		if (legacy != NULL) {
			r->udp = true;
			r->endpoint = *legacy;
		} else {
			r->relay = relay_ok;
		}
		return;
	}
	if (peer->has_best && !peer->failed_over) {
		r->udp = true;
		r->endpoint = peer->best;
		/* untrusted, or under suspicion: both ways until a pong settles it */
		r->relay = relay_ok && (!trusted(peer, now) || peer->suspect_since_ns != 0);
		return;
	}
	if (relay_ok) {
		r->relay = true;
		return;
	}
	/* no relay to fall back on: the best guess is better than nothing */
	if (peer->has_best) {
		r->udp = true;
		r->endpoint = peer->best;
	} else if (legacy != NULL) {
		r->udp = true;
		r->endpoint = *legacy;
	}
}

static bool
route_equal(const struct path_route *a, const struct path_route *b)
{
	return a->udp == b->udp && a->relay == b->relay &&
	       (!a->udp || netendpoint_equal(&a->endpoint, &b->endpoint));
}

void
peer_path_update_route(struct path_peer *peer, uint64_t now)
{
	struct path *path = peer->path;
	struct path_route r;
	bool was_direct = peer->route_announced && peer->route.udp && !peer->route.relay;

	route_compute(peer, now, &r);
	if (peer->route_announced && route_equal(&r, &peer->route))
		return;
	if (r.udp && !r.relay && !was_direct && peer_path_disco_mode(peer)) {
		char ep[NETADDR_TEXT_MAX];

		path->counters[PC_direct_upgrades]++;
		peer->direct_since_ns = now;
		log_info("path: peer %s: direct %s (%u us)", peer->name,
			 netendpoint_format(&r.endpoint, ep, sizeof(ep)), peer->best_latency_us);
	} else if (was_direct && r.relay && peer_path_disco_mode(peer)) {
		if (r.udp && peer->suspect_since_ns == 0)
			path->counters[PC_trust_expired]++;
		log_info("path: peer %s: %s", peer->name,
			 peer->failed_over ? "direct path unanswered: relay"
					   : r.udp ? "direct path unconfirmed: relay as well"
						   : "relay");
	}
	peer->route = r;
	peer->route_announced = true;
	path->hooks.route_changed(path->hooks.ctx, peer->user, &r);
}

/* ---- configuration ---- */

void
peer_path_init(struct path_peer *peer, uint64_t now)
{
	peer->created_ns = now;
}

void
peer_path_config(struct path_peer *peer, const struct path_peer_config *pc, uint64_t now)
{
	peer->pin = pc->pin;
	if (pc->has_endpoint != peer->has_config_endpoint ||
	    (pc->has_endpoint && !netendpoint_equal(&pc->endpoint, &peer->config_endpoint))) {
		peer->has_config_endpoint = pc->has_endpoint;
		peer->config_endpoint = pc->endpoint;
		/* a new configured endpoint moves a roaming peer (as `wg set endpoint` does) */
		peer->has_heard = false;
		if (pc->has_endpoint)
			cand_replace_source(peer, CAND_CONFIG, &pc->endpoint, 1, now);
		else
			cand_replace_source(peer, CAND_CONFIG, NULL, 0, now);
	}
	if (pc->endpoints != NULL || pc->endpoint_count != 0)
		cand_replace_source(peer, CAND_CONTROL, pc->endpoints, pc->endpoint_count, now);
}

void
peer_path_disco_key_changed(struct path_peer *peer, uint64_t now)
{
	/* what the old key proved no longer holds: pings in flight, trust, the summary */
	for (size_t i = 0; i < PATH_PINGS_MAX; i++)
		if (peer->pings[i].request == NULL)
			peer->pings[i].used = false;
	peer->trust_until_ns = 0;
	peer->has_best = false;
	peer->failed_over = false;
	peer->suspect_since_ns = 0;
	peer->has_summary = false;
	peer->hello_sent_sequence = 0;
	peer->last_full_ping_ns = 0;
	for (size_t i = 0; i < peer->candidate_count; i++)
		peer->candidates[i].last_ping_ns = 0;
	peer_path_update_route(peer, now);
}

/* ---- disco in ---- */

void
peer_path_ping_received(struct path_peer *peer, const struct disco_message *m, bool via_derp,
			const struct netendpoint *src, uint64_t now)
{
	struct path *path = peer->path;
	struct disco_message pong = {.type = DISCO_PONG};

	memcpy(pong.pong.txid, m->ping.txid, DISCO_TXID_LEN);
	if (via_derp) {
		/* the source of a pong over DERP is the magic address of the region */
		pong.pong.src.addr.family = AF_INET;
		memcpy(pong.pong.src.addr.bytes, derp_magic_ip, 4);
		pong.pong.src.port =
			(uint16_t)path->hooks.relay_region_of(path->hooks.ctx, peer->node_key);
		if (path_send_disco_derp(path, peer, &pong) == 0)
			path->counters[PC_pongs_sent]++;
		return;
	}
	pong.pong.src = *src;
	path_send_disco_udp(path, peer, src, &pong);
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		char ep[NETADDR_TEXT_MAX];

		log_debug("path: peer %s: ping from %s: pong", peer->name,
			  netendpoint_format(src, ep, sizeof(ep)));
	}
	path->counters[PC_pongs_sent]++;
	/* a ping that got through is a path that works inbound: ping back at once, so both ends
	 * confirm it without waiting for a discovery round */
	{
		struct path_candidate *c = cand_add(peer, src, CAND_PING, now);
		/* our last ping to it unanswered: it was likely dropped by the peer's NAT before
		 * the peer's own ping opened it, so again at once (at most every 100 ms); answered
		 * ones at most every second */
		uint64_t spacing = c != NULL && c->last_pong_ns < c->last_ping_ns ? ms(100) : ms(1000);

		if (c != NULL && (c->last_ping_ns == 0 || now - c->last_ping_ns >= spacing))
			ping_send(peer, src, false, PING_DISCOVERY, NULL, now);
	}
	peer->active_until_ns = now + ms(PATH_SESSION_ACTIVE_MS);
}

static void
request_done(struct path_peer *peer, struct path_ping_request *req,
	     const struct path_ping_result *res)
{
	struct path *path = peer->path;
	struct path_ping_request **pp;

	for (pp = &path->requests; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			break;
		}
	}
	for (size_t i = 0; i < PATH_PINGS_MAX; i++)
		if (peer->pings[i].request == req)
			peer->pings[i].request = NULL;
	req->done(req->ctx, res);
	free(req);
}

void
peer_path_pong_received(struct path_peer *peer, const struct disco_message *m, bool via_derp,
			const struct netendpoint *src, uint64_t now)
{
	struct path *path = peer->path;
	struct path_ping *p = NULL;
	struct path_candidate *c;
	uint32_t latency;

	for (size_t i = 0; i < PATH_PINGS_MAX; i++) {
		if (peer->pings[i].used &&
		    memcmp(peer->pings[i].txid, m->pong.txid, DISCO_TXID_LEN) == 0) {
			p = &peer->pings[i];
			break;
		}
	}
	if (p == NULL) {
		path->counters[PC_disco_drop_pong_unknown_txid]++;
		return;
	}
	path->counters[PC_pongs_received]++;
	p->used = false;
	latency = now - p->sent_ns > UINT32_MAX * 1000ull ? UINT32_MAX
							  : (uint32_t)((now - p->sent_ns) / 1000);
	if (p->request != NULL) {
		struct path_ping_result res = {.answered = true, .latency_us = latency};

		res.direct = !via_derp;
		if (!via_derp)
			res.from = p->to;
		else
			res.region = path->hooks.relay_region_of(path->hooks.ctx, peer->node_key);
		request_done(peer, p->request, &res);
	}
	if (via_derp)
		return;
	(void)src;
	/* the endpoint pinged is what answered (the pong may come from another source address
	 * of the peer; the route is where we send, so it is the one to trust) */
	c = cand_find(peer, &p->to);
	if (c == NULL)
		c = cand_add(peer, &p->to, CAND_PING, now);
	if (c != NULL) {
		c->last_pong_ns = now;
		c->latency_us = latency;
		c->pongs++;
		c->pong_src = m->pong.src;
	}
	if (peer->first_pong_ns == 0)
		peer->first_pong_ns = now;
	if (!peer->has_best || peer->failed_over || !trusted(peer, now) ||
	    better_address(&p->to, latency, &peer->best, peer->best_latency_us)) {
		peer->has_best = true;
		peer->best = p->to;
		peer->best_latency_us = latency;
	}
	if (netendpoint_equal(&peer->best, &p->to)) {
		peer->best_latency_us = latency;
		peer->trust_until_ns = now + ms(PATH_TRUST_UDP_MS);
		if (peer->failed_over)
			log_info("path: peer %s: direct path answers again", peer->name);
		peer->failed_over = false;
		peer->suspect_since_ns = 0;
	}
}

void
peer_path_own_endpoints_changed(struct path_peer *peer, uint64_t now)
{
	/* a peer still looking for a path learns our new endpoints at once (CallMeMaybe) and
	 * both ends ping again: a first CallMeMaybe sent before our STUN round ended had only
	 * our LAN addresses in it */
	if (!peer_path_disco_mode(peer) || now >= peer->active_until_ns || trusted(peer, now))
		return;
	for (size_t i = 0; i < peer->candidate_count; i++)
		peer->candidates[i].last_ping_ns = 0;
	send_pings_all(peer, true, PING_DISCOVERY, NULL, now);
}

void
peer_path_hello(struct path_peer *peer, const struct disco_summary *s, uint64_t now)
{
	/* an exitgate peer's Hello lists its endpoints as CallMeMaybe would: candidates, pinged
	 * at once when new */
	size_t before = peer->candidate_count;

	cand_replace_source(peer, CAND_HELLO, s->endpoints, s->endpoint_count, now);
	if (peer->candidate_count > before && peer_path_disco_mode(peer) &&
	    now < peer->active_until_ns)
		send_pings_all(peer, false, PING_DISCOVERY, NULL, now);
}

void
peer_path_call_me_maybe(struct path_peer *peer, const struct disco_message *m, uint64_t now)
{
	cand_replace_source(peer, CAND_CALL_ME_MAYBE, m->call_me_maybe.endpoints,
			    m->call_me_maybe.count, now);
	/* the peer has just pinged us, opening its side: ping every listed endpoint now
	 * (simultaneous open), whatever their last ping */
	for (size_t i = 0; i < peer->candidate_count; i++)
		if (peer->candidates[i].source == CAND_CALL_ME_MAYBE)
			peer->candidates[i].last_ping_ns = 0;
	send_pings_all(peer, false, PING_DISCOVERY, NULL, now);
	peer->active_until_ns = now + ms(PATH_SESSION_ACTIVE_MS);
}

/* ---- what the workers saw ---- */

static uint64_t
direct_evidence(const struct path_peer *peer)
{
	uint64_t t = peer->activity.last_rx_udp_ns;

	if (peer->direct_since_ns > t)
		t = peer->direct_since_ns;
	for (size_t i = 0; i < peer->candidate_count; i++)
		if (peer->has_best && netendpoint_equal(&peer->candidates[i].ep, &peer->best) &&
		    peer->candidates[i].last_pong_ns > t)
			t = peer->candidates[i].last_pong_ns;
	return t;
}

void
peer_path_activity(struct path_peer *peer, const struct path_activity *a, uint64_t now)
{
	struct path_activity prev = peer->activity;
	uint64_t evidence;

	peer->activity = *a;
	if (a->last_tx_data_ns > prev.last_tx_data_ns || a->last_rx_ns > prev.last_rx_ns)
		peer->active_until_ns = now + ms(PATH_SESSION_ACTIVE_MS);
	if (!peer_path_disco_mode(peer) || !peer->route.udp || peer->route.relay ||
	    peer->suspect_since_ns != 0)
		return;
	/* a trusted direct path, under traffic: data going out, nothing back on it for a while */
	evidence = direct_evidence(peer);
	if (a->last_tx_data_ns > evidence && now > evidence + ms(PATH_FAILOVER_SILENCE_MS) &&
	    now < a->last_tx_data_ns + ms(PATH_FAILOVER_SILENCE_MS)) {
		peer->suspect_since_ns = now;
		ping_send(peer, &peer->best, false, PING_FAILOVER, NULL, now);
		peer_path_update_route(peer, now);
	}
}

void
peer_path_heard(struct path_peer *peer, const struct netendpoint *src, uint64_t when)
{
	if (!usable_endpoint(src))
		return;
	/* the packet received last wins (two workers may report in either order) */
	if (peer->has_heard && when < peer->heard_ns)
		return;
	peer->has_heard = true;
	peer->heard = *src;
	peer->heard_ns = when;
	/* a disco peer's WireGuard from a new address is a candidate to ping, not a route */
	if (peer_path_disco_mode(peer))
		cand_add(peer, src, CAND_HEARD, when);
}

/* ---- timers ---- */

static uint64_t
pings_expire(struct path_peer *peer, uint64_t now)
{
	struct path *path = peer->path;
	uint64_t next = 0;

	for (size_t i = 0; i < PATH_PINGS_MAX; i++) {
		struct path_ping *p = &peer->pings[i];
		uint64_t deadline = p->sent_ns + ms(PATH_PING_TIMEOUT_MS);

		if (!p->used)
			continue;
		if (now >= deadline) {
			p->used = false;
			path->counters[PC_pings_timed_out]++;
			continue;
		}
		next = loop_earliest(next, deadline);
	}
	return next;
}

uint64_t
peer_path_tick(struct path_peer *peer, uint64_t now)
{
	struct path *path = peer->path;
	uint64_t next = pings_expire(peer, now);
	bool active = now < peer->active_until_ns;

	if (!peer_path_disco_mode(peer)) {
		peer_path_update_route(peer, now);
		return next;
	}
	/* a probe of a suspect path unanswered: the relay, until a pong brings it back */
	if (peer->suspect_since_ns != 0) {
		uint64_t deadline = peer->suspect_since_ns + ms(PATH_FAILOVER_PROBE_MS);

		if (now >= deadline) {
			peer->suspect_since_ns = 0;
			if (relay_available(peer)) {
				peer->failed_over = true;
				peer->failovers++;
				path->counters[PC_failovers]++;
			}
		} else {
			next = loop_earliest(next, deadline);
		}
	}
	if (active) {
		/* heartbeats keep the best path's NAT state and trust fresh; after a failover they
		 * are what notices the path is back */
		if (peer->has_best && now - peer->last_heartbeat_ns >= ms(PATH_HEARTBEAT_MS)) {
			ping_send(peer, &peer->best, false, PING_HEARTBEAT, NULL, now);
			peer->last_heartbeat_ns = now;
		}
		if (want_full_ping(peer, now))
			send_pings_all(peer, true, PING_DISCOVERY, NULL, now);
		next = loop_earliest(next, peer->last_heartbeat_ns + ms(PATH_HEARTBEAT_MS));
		next = loop_earliest(next, peer->last_full_ping_ns + ms(PATH_PING_INTERVAL_MS));
	}
	if (peer->has_best && now < peer->trust_until_ns)
		next = loop_earliest(next, peer->trust_until_ns);
	peer_path_update_route(peer, now);
	return next;
}

void
peer_path_cli_ping(struct path_peer *peer, struct path_ping_request *req, uint64_t now)
{
	struct path_ping_result res = {.answered = false};

	if (!peer_path_disco_mode(peer) && peer->pin == CONFIG_PATH_AUTO && peer->exitgate &&
	    relay_available(peer)) {
		/* an exitgate peer whose key is not learnt yet: ask for it (Hello) and ping as soon
		 * as it is here, within the request's own deadline */
		req->waiting_key = true;
		path_hello_now(peer->path, peer);
		return;
	}
	if (!peer_path_disco_mode(peer)) {
		if (peer->pin != CONFIG_PATH_AUTO)
			snprintf(res.error, sizeof(res.error), "peer is pinned to path: %s",
				 peer->pin == CONFIG_PATH_RELAY ? "relay" : "direct");
		else if (peer->exitgate)
			snprintf(res.error, sizeof(res.error),
				 "no disco key for this peer yet (it is learnt over DERP)");
		else
			snprintf(res.error, sizeof(res.error), "peer does not speak disco");
		request_done(peer, req, &res);
		return;
	}
	/* Tailscale's rule: a trusted direct path is pinged alone; otherwise DERP and every
	 * candidate, and a CallMeMaybe so the peer opens its side */
	if (trusted(peer, now)) {
		ping_send(peer, &peer->best, false, PING_CLI, req, now);
		return;
	}
	if (relay_available(peer))
		ping_send(peer, NULL, true, PING_CLI, req, now);
	send_pings_all(peer, true, PING_CLI, req, now);
	peer->active_until_ns = now + ms(PATH_SESSION_ACTIVE_MS);
}

/* ---- status ---- */

void
peer_path_describe(const struct path_peer *peer, struct strbuf *out, bool json, uint64_t now)
{
	const struct path *path = peer->path;
	const struct path_route *r = &peer->route;
	char ep[NETADDR_TEXT_MAX];
	uint32_t region = path->hooks.relay_region_of(path->hooks.ctx, peer->node_key);
	const char *code = netcheck_region_code(path, region);
	const char *kind;

	if (r->udp)
		netendpoint_format(&r->endpoint, ep, sizeof(ep));
	else
		ep[0] = '\0';
	switch (path_peer_kind(peer)) {
	case PATH_KIND_DIRECT:
		kind = "direct";
		break;
	case PATH_KIND_RELAY:
		kind = "relay";
		break;
	case PATH_KIND_BOTH:
		kind = "both";
		break;
	default:
		kind = "none";
		break;
	}
	if (json) {
		strbuf_printf(out, ",\"path\":\"%s\",\"path_pinned\":%s,\"disco\":%s,"
				   "\"path_endpoint\":\"%s\",\"relay_region\":%u,\"relay_code\":",
			      kind, peer->pin != CONFIG_PATH_AUTO ? "true" : "false",
			      peer_path_disco_mode(peer) ? "true" : "false", ep, region);
		strbuf_json_string(out, code != NULL ? code : "");
		strbuf_printf(out, ",\"latency_us\":%u,\"trusted_ms\":%llu,\"failovers\":%llu,"
				   "\"candidates\":%zu",
			      peer->has_best ? peer->best_latency_us : 0,
			      (unsigned long long)(trusted(peer, now)
							   ? (peer->trust_until_ns - now) / NS_PER_MS
							   : 0),
			      (unsigned long long)peer->failovers, peer->candidate_count);
		return;
	}
	switch (path_peer_kind(peer)) {
	case PATH_KIND_DIRECT:
		strbuf_printf(out, "direct %s", ep);
		break;
	case PATH_KIND_RELAY:
		if (code != NULL)
			strbuf_printf(out, "relay \"%s\"", code);
		else
			strbuf_puts(out, "relay (no relay connection)");
		break;
	case PATH_KIND_BOTH:
		strbuf_printf(out, "direct %s (unconfirmed) and relay \"%s\"", ep,
			      code != NULL ? code : "?");
		break;
	default:
		strbuf_puts(out, "no path");
		break;
	}
}
