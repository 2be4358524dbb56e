/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The owner of control/path: the disco key, the peer tables (by node key and by disco key),
 * packets in, Hello between exitgate nodes, `exitgatectl ping` requests, and the one loop timer
 * that drives netcheck and the active peers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "log.h"
#include "loop.h"
#include "path_internal.h"

static const uint64_t NS_PER_MS = 1000000ull;

uint64_t
path_now(void)
{
	return loop_now();
}

void
path_wake(struct path *path)
{
	loop_timer_at(path->loop, path->timer, loop_now());
}

/* ---- the disco key: made once and kept in the state directory, or made at every start ---- */

static int
disco_key_write(const char *dir, const char *file, const uint8_t priv[PATH_KEY_LEN])
{
	char b64[KEY_BASE64_LEN + 2], tmp[4096];
	int fd;
	ssize_t n;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_warn("path: disco key: mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_warn("path: disco key: open %s: %s", tmp, strerror(errno));
		return -1;
	}
	key_to_base64(b64, priv);
	strcat(b64, "\n");
	n = write(fd, b64, strlen(b64));
	sodium_memzero(b64, sizeof(b64));
	if (n != (ssize_t)(KEY_BASE64_LEN + 1) || fsync(fd) != 0 || close(fd) != 0) {
		log_warn("path: disco key: write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, file) != 0) {
		log_warn("path: disco key: rename %s: %s", file, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
disco_key_load(struct path *path, const char *state_dir)
{
	char file[4096], why[256];

	if (state_dir != NULL && snprintf(file, sizeof(file), "%s/disco.key", state_dir) >=
					 (int)sizeof(file))
		state_dir = NULL;
	if (state_dir != NULL) {
		if (access(file, F_OK) == 0) {
			if (keyfile_read(file, NULL, path->disco_private, why, sizeof(why)) == 0) {
				crypto_scalarmult_base(path->disco_public, path->disco_private);
				if (snprintf(path->disco_key_source, sizeof(path->disco_key_source),
					     "kept in %s", file) >= (int)sizeof(path->disco_key_source))
					path->disco_key_source[sizeof(path->disco_key_source) - 1] = 0;
				return;
			}
			log_warn("path: disco key: %s; making a new one", why);
		}
	}
	/* an X25519 key of its own, never the WireGuard key (as Tailscale) */
	crypto_box_keypair(path->disco_public, path->disco_private);
	if (state_dir != NULL && disco_key_write(state_dir, file, path->disco_private) == 0) {
		if (snprintf(path->disco_key_source, sizeof(path->disco_key_source),
			     "made, kept in %s", file) >= (int)sizeof(path->disco_key_source))
			path->disco_key_source[sizeof(path->disco_key_source) - 1] = 0;
	} else
		snprintf(path->disco_key_source, sizeof(path->disco_key_source),
			 "made at start (no node.state_dir to keep it in)");
}

/* ---- sending disco ---- */

void
path_send_disco_udp(struct path *path, struct path_peer *peer, const struct netendpoint *to,
		    const struct disco_message *m)
{
	uint8_t frame[DISCO_FRAME_MAX];
	int len;

	if (!peer->shared_ok)
		return;
	len = disco_seal(frame, sizeof(frame), path->disco_public, peer->shared, m);
	if (len < 0)
		return;
	path->hooks.send_udp(path->hooks.ctx, to, frame, (size_t)len);
	path->counters[PC_disco_tx_udp]++;
}

int
path_send_disco_derp(struct path *path, struct path_peer *peer, const struct disco_message *m)
{
	uint8_t frame[DISCO_FRAME_MAX];
	int len;

	if (!peer->shared_ok)
		return -1;
	len = disco_seal(frame, sizeof(frame), path->disco_public, peer->shared, m);
	if (len < 0 || path->hooks.send_derp(path->hooks.ctx, peer->node_key, frame,
					     (size_t)len) != 0)
		return -1;
	path->counters[PC_disco_tx_derp]++;
	return 0;
}

/*
 * Hello (disco.h): our disco key and netcheck summary, to an exitgate peer over DERP. Boxed with
 * the disco keys once the peer's is known, else from our WireGuard key to its WireGuard key:
 * the one message a node can send before it knows the peer's disco key.
 */
static void
hello_send(struct path *path, struct path_peer *peer, uint64_t now)
{
	struct disco_message m = {.type = DISCO_HELLO};
	uint8_t frame[DISCO_FRAME_MAX], wg_shared[32];
	const uint8_t *shared = peer->shared;
	int len;

	memcpy(m.hello.disco_key, path->disco_public, PATH_KEY_LEN);
	netcheck_summary(path, &m.hello.summary);
	if (!peer->shared_ok) {
		if (disco_shared_key(wg_shared, path->node_private, peer->node_key) != DISCO_OK)
			return;
		shared = wg_shared;
	}
	len = disco_seal(frame, sizeof(frame), path->disco_public, shared, &m);
	sodium_memzero(wg_shared, sizeof(wg_shared));
	if (len < 0)
		return;
	/* marked sent before it goes: an answer that comes back at once must see it sent */
	peer->hello_sent_sequence = m.hello.summary.sequence;
	peer->hello_sent_ns = now;
	peer->hello_failed = false;
	if (path->hooks.send_derp(path->hooks.ctx, peer->node_key, frame, (size_t)len) != 0) {
		/* no relay connection yet (the node just started): soon again, not an interval */
		peer->hello_sent_sequence = 0;
		peer->hello_failed = true;
		return;
	}
	path->counters[PC_hello_sent]++;
	path->counters[PC_disco_tx_derp]++;
}

void
path_hello_now(struct path *path, struct path_peer *peer)
{
	hello_send(path, peer, path_now());
}

/* Pings that waited for this peer's disco key go out now. */
static void
requests_key_learnt(struct path *path, struct path_peer *peer, uint64_t now)
{
	struct path_ping_request *ready[16];
	size_t n = 0;

	for (struct path_ping_request *r = path->requests; r != NULL && n < 16; r = r->next)
		if (r->peer == peer && r->waiting_key)
			ready[n++] = r;
	for (size_t i = 0; i < n; i++) {
		ready[i]->waiting_key = false;
		peer_path_cli_ping(peer, ready[i], now);
	}
}

/* ---- peers ---- */

static void
peer_set_disco_key(struct path_peer *peer, const uint8_t key[PATH_KEY_LEN], bool configured,
		   uint64_t now)
{
	struct path *path = peer->path;
	bool changed = !peer->has_disco_key || sodium_memcmp(peer->disco_key, key, PATH_KEY_LEN);

	peer->disco_configured = configured;
	if (!changed)
		return;
	if (peer->has_disco_key && keymap_get(&path->by_disco, peer->disco_key) == peer)
		keymap_del(&path->by_disco, peer->disco_key);
	memcpy(peer->disco_key, key, PATH_KEY_LEN);
	peer->has_disco_key = true;
	peer->shared_ok = disco_shared_key(peer->shared, path->disco_private, key) == DISCO_OK;
	/* two peers with one disco key (a copied state dir): the first one keeps it */
	if (keymap_get(&path->by_disco, key) == NULL && keymap_put(&path->by_disco, key, peer) != 0)
		log_warn("path: peer %s: disco key table: out of memory", peer->name);
	peer_path_disco_key_changed(peer, now);
	if (peer->shared_ok)
		requests_key_learnt(path, peer, now);
}

static void
peer_clear_disco_key(struct path_peer *peer, uint64_t now)
{
	struct path *path = peer->path;

	if (!peer->has_disco_key)
		return;
	if (keymap_get(&path->by_disco, peer->disco_key) == peer)
		keymap_del(&path->by_disco, peer->disco_key);
	peer->has_disco_key = false;
	peer->disco_configured = false;
	peer->shared_ok = false;
	sodium_memzero(peer->shared, sizeof(peer->shared));
	peer_path_disco_key_changed(peer, now);
}

static int
peer_set_name(struct path_peer *peer, const char *name)
{
	char *copy = strdup(name != NULL ? name : "peer");

	if (copy == NULL)
		return -1;
	free(peer->name);
	peer->name = copy;
	return 0;
}

struct path_peer *
path_peer_add(struct path *path, const struct path_peer_config *pc, void *user)
{
	struct path_peer *peer = calloc(1, sizeof(*peer));
	uint64_t now = path_now();

	if (peer == NULL)
		return NULL;
	peer->path = path;
	peer->user = user;
	memcpy(peer->node_key, pc->node_key, PATH_KEY_LEN);
	if (peer_set_name(peer, pc->name) != 0 ||
	    keymap_put(&path->by_node, peer->node_key, peer) != 0) {
		free(peer->name);
		free(peer);
		return NULL;
	}
	path->peer_count++;
	peer_path_init(peer, now);
	path_peer_update(peer, pc);
	return peer;
}

void
path_peer_update(struct path_peer *peer, const struct path_peer_config *pc)
{
	uint64_t now = path_now();

	if (pc->name != NULL && strcmp(pc->name, peer->name) != 0)
		peer_set_name(peer, pc->name);
	peer->tunnel_address = pc->tunnel_address;
	peer->exitgate = pc->exitgate;
	if (pc->has_disco_key)
		peer_set_disco_key(peer, pc->disco_key, true, now);
	else if (peer->disco_configured)
		/* the configured key was taken away: learn it again over DERP */
		peer_clear_disco_key(peer, now);
	peer_path_config(peer, pc, now);
	peer_path_update_route(peer, now);
	path_mark_active(peer->path, peer);
}

static void
requests_drop_peer(struct path *path, struct path_peer *peer)
{
	struct path_ping_request **pp = &path->requests;

	while (*pp != NULL) {
		struct path_ping_request *r = *pp;

		if (r->peer != peer) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		{
			struct path_ping_result res = {.answered = false};

			snprintf(res.error, sizeof(res.error), "peer removed");
			r->done(r->ctx, &res);
		}
		free(r);
	}
}

static void
active_unlink(struct path *path, struct path_peer *peer)
{
	struct path_peer **pp;

	if (!peer->on_active_list)
		return;
	for (pp = &path->active; *pp != NULL; pp = &(*pp)->active_next) {
		if (*pp == peer) {
			*pp = peer->active_next;
			break;
		}
	}
	peer->on_active_list = false;
	peer->active_next = NULL;
}

void
path_peer_remove(struct path_peer *peer)
{
	struct path *path;

	if (peer == NULL)
		return;
	path = peer->path;
	requests_drop_peer(path, peer);
	active_unlink(path, peer);
	if (peer->has_disco_key && keymap_get(&path->by_disco, peer->disco_key) == peer)
		keymap_del(&path->by_disco, peer->disco_key);
	keymap_del(&path->by_node, peer->node_key);
	path->peer_count--;
	sodium_memzero(peer->shared, sizeof(peer->shared));
	free(peer->name);
	free(peer);
}

void
path_mark_active(struct path *path, struct path_peer *peer)
{
	if (!peer->on_active_list) {
		peer->active_next = path->active;
		path->active = peer;
		peer->on_active_list = true;
	}
	path_wake(path);
}

void
path_peer_activity(struct path_peer *peer, const struct path_activity *activity)
{
	uint64_t now = path_now();
	bool was_active = now < peer->active_until_ns;

	peer_path_activity(peer, activity, now);
	if (now < peer->active_until_ns && !was_active)
		path_mark_active(peer->path, peer);
	else if (peer->suspect_since_ns != 0)
		path_wake(peer->path);
}

void
path_peer_heard(struct path_peer *peer, const struct netendpoint *src, uint64_t when_ns)
{
	peer_path_heard(peer, src, when_ns);
	peer_path_update_route(peer, path_now());
}

const struct path_route *
path_peer_route(const struct path_peer *peer)
{
	return &peer->route;
}

enum path_kind
path_peer_kind(const struct path_peer *peer)
{
	const struct path_route *r = &peer->route;

	if (r->udp && r->relay)
		return PATH_KIND_BOTH;
	if (r->udp)
		return PATH_KIND_DIRECT;
	if (r->relay)
		return PATH_KIND_RELAY;
	return PATH_KIND_NONE;
}

/* ---- packets in ---- */

static void
count_disco_error(struct path *path, int rc)
{
	switch (rc) {
	case DISCO_ERR_SHORT:
		path->counters[PC_disco_drop_short]++;
		break;
	case DISCO_ERR_BOX:
	case DISCO_ERR_BAD_KEY:
	case DISCO_ERR_NOT_DISCO:
		path->counters[PC_disco_drop_bad_box]++;
		break;
	case DISCO_ERR_UNKNOWN_TYPE:
		path->counters[PC_disco_drop_unknown_type]++;
		break;
	default:
		path->counters[PC_disco_drop_malformed]++;
		break;
	}
}

static void
disco_dispatch(struct path *path, struct path_peer *peer, const struct disco_message *m,
	       bool via_derp, const struct netendpoint *src, uint64_t now)
{
	switch (m->type) {
	case DISCO_PING:
		peer_path_ping_received(peer, m, via_derp, src, now);
		break;
	case DISCO_PONG:
		peer_path_pong_received(peer, m, via_derp, src, now);
		break;
	case DISCO_CALL_ME_MAYBE:
		path->counters[PC_call_me_maybe_received]++;
		peer_path_call_me_maybe(peer, m, now);
		break;
	case DISCO_HELLO:
		break; /* handled by the caller, which knows how it was boxed */
	}
	peer_path_update_route(peer, now);
	path_mark_active(path, peer);
}

static void
disco_udp_input(struct path *path, const struct netendpoint *src, const uint8_t *data,
		size_t len, uint64_t now)
{
	struct disco_message m;
	struct path_peer *peer;
	int rc;

	if (len < (size_t)DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + 2) {
		path->counters[PC_disco_drop_short]++;
		return;
	}
	/* over UDP only a disco key we already know counts: learnt ones change only by DERP */
	peer = keymap_get(&path->by_disco, disco_sender_key(data));
	if (peer == NULL) {
		path->counters[PC_disco_drop_unknown_key]++;
		return;
	}
	if (peer->pin != CONFIG_PATH_AUTO) {
		path->counters[PC_disco_drop_pinned_peer]++;
		return;
	}
	rc = disco_open(data, len, peer->shared, &m);
	if (rc != DISCO_OK) {
		count_disco_error(path, rc);
		return;
	}
	if (m.type == DISCO_CALL_ME_MAYBE || m.type == DISCO_HELLO) {
		path->counters[PC_disco_drop_cmm_over_udp]++;
		return;
	}
	path->counters[PC_disco_rx_udp]++;
	disco_dispatch(path, peer, &m, false, src, now);
}

void
path_udp_input(struct path *path, const struct netendpoint *src, const uint8_t *data,
	       size_t len)
{
	uint64_t now = path_now();

	if (stun_is_stun(data, len))
		netcheck_stun_input(path, src, data, len, now);
	else if (disco_is_disco(data, len))
		disco_udp_input(path, src, data, len, now);
	else
		path->counters[PC_disco_drop_short]++;
}

static void
hello_received(struct path *path, struct path_peer *peer, const struct disco_message *m,
	       bool wg_boxed, uint64_t now)
{
	path->counters[PC_hello_received]++;
	if (!peer->disco_configured &&
	    (!peer->has_disco_key || sodium_memcmp(peer->disco_key, m->hello.disco_key,
						   PATH_KEY_LEN) != 0)) {
		log_info("path: peer %s: disco key learnt over DERP", peer->name);
		path->counters[PC_disco_keys_learnt]++;
		peer_set_disco_key(peer, m->hello.disco_key, false, now);
		peer->disco_learnt_ns = now;
	}
	if (!peer->has_summary || m->hello.summary.sequence != peer->summary.sequence) {
		peer->summary = m->hello.summary;
		peer->has_summary = true;
		peer->summary_ns = now;
		peer_path_hello(peer, &peer->summary, now);
	}
	peer->exitgate = true;
	/* answer when the peer cannot know our key yet, or has not heard our current summary;
	 * a summary already sent is not sent again, so two nodes never echo forever */
	if (wg_boxed || peer->hello_sent_sequence != path->summary_sequence)
		hello_send(path, peer, now);
	peer_path_update_route(peer, now);
	path_mark_active(path, peer);
}

bool
path_derp_input(struct path *path, const uint8_t src[PATH_KEY_LEN], const uint8_t *data,
		size_t len)
{
	uint64_t now = path_now();
	struct path_peer *peer;
	struct disco_message m;
	const uint8_t *sender;
	uint8_t shared[32];
	int rc;

	if (!disco_is_disco(data, len))
		return false;
	if (len < (size_t)DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + 2) {
		path->counters[PC_disco_drop_short]++;
		return true;
	}
	peer = keymap_get(&path->by_node, src);
	if (peer == NULL) {
		path->counters[PC_disco_drop_unknown_node]++;
		return true;
	}
	if (peer->pin != CONFIG_PATH_AUTO) {
		path->counters[PC_disco_drop_pinned_peer]++;
		return true;
	}
	sender = disco_sender_key(data);
	if (peer->disco_configured && sodium_memcmp(sender, peer->disco_key, PATH_KEY_LEN) != 0) {
		path->counters[PC_disco_drop_key_mismatch]++;
		return true;
	}
	/* the sender's disco key opens it (known, or new: a learnt key may change by DERP) */
	rc = disco_shared_key(shared, path->disco_private, sender);
	if (rc == DISCO_OK)
		rc = disco_open(data, len, shared, &m);
	if (rc == DISCO_ERR_BOX && !peer->disco_configured) {
		/* a Hello from a node that does not know our disco key: WireGuard-boxed */
		rc = disco_shared_key(shared, path->node_private, src);
		if (rc == DISCO_OK)
			rc = disco_open(data, len, shared, &m);
		sodium_memzero(shared, sizeof(shared));
		if (rc == DISCO_OK && (m.type != DISCO_HELLO ||
				       sodium_memcmp(m.hello.disco_key, sender, PATH_KEY_LEN) != 0)) {
			path->counters[PC_disco_drop_malformed]++;
			return true;
		}
		if (rc == DISCO_OK) {
			path->counters[PC_disco_rx_derp]++;
			hello_received(path, peer, &m, true, now);
			return true;
		}
	}
	sodium_memzero(shared, sizeof(shared));
	if (rc != DISCO_OK) {
		count_disco_error(path, rc);
		return true;
	}
	path->counters[PC_disco_rx_derp]++;
	/* the relay vouches for the node key: a disco key that opens its box becomes the peer's
	 * (a peer that restarted with a new key) unless one is configured */
	if (!peer->disco_configured &&
	    (!peer->has_disco_key || sodium_memcmp(peer->disco_key, sender, PATH_KEY_LEN) != 0)) {
		log_info("path: peer %s: disco key learnt over DERP", peer->name);
		path->counters[PC_disco_keys_learnt]++;
		peer_set_disco_key(peer, sender, false, now);
		peer->disco_learnt_ns = now;
	}
	if (m.type == DISCO_HELLO) {
		if (sodium_memcmp(m.hello.disco_key, sender, PATH_KEY_LEN) != 0) {
			path->counters[PC_disco_drop_malformed]++;
			return true;
		}
		hello_received(path, peer, &m, false, now);
		return true;
	}
	disco_dispatch(path, peer, &m, true, NULL, now);
	return true;
}

/* ---- exitgatectl ping ---- */

int
path_ping(struct path *path, struct path_peer *peer, uint32_t timeout_ms, path_ping_done_fn done,
	  void *ctx)
{
	struct path_ping_request *req = calloc(1, sizeof(*req));
	uint64_t now = path_now();

	if (req == NULL)
		return -1;
	req->peer = peer;
	req->deadline_ns = now + (uint64_t)timeout_ms * NS_PER_MS;
	req->done = done;
	req->ctx = ctx;
	req->next = path->requests;
	path->requests = req;
	peer_path_cli_ping(peer, req, now);
	path_mark_active(path, peer);
	return 0;
}

void
path_ping_cancel(struct path *path, void *ctx)
{
	struct path_ping_request **pp = &path->requests;

	while (*pp != NULL) {
		struct path_ping_request *r = *pp;

		if (r->ctx != ctx) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		/* pings still out keep a pointer to it: clear them */
		for (size_t i = 0; i < PATH_PINGS_MAX; i++)
			if (r->peer->pings[i].request == r)
				r->peer->pings[i].request = NULL;
		free(r);
	}
}

static uint64_t
requests_expire(struct path *path, uint64_t now)
{
	struct path_ping_request **pp = &path->requests;
	uint64_t next = 0;

	while (*pp != NULL) {
		struct path_ping_request *r = *pp;

		if (now < r->deadline_ns) {
			if (next == 0 || r->deadline_ns < next)
				next = r->deadline_ns;
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		for (size_t i = 0; i < PATH_PINGS_MAX; i++)
			if (r->peer->pings[i].request == r)
				r->peer->pings[i].request = NULL;
		{
			struct path_ping_result res = {.answered = false};

			snprintf(res.error, sizeof(res.error), "timed out");
			r->done(r->ctx, &res);
		}
		free(r);
	}
	return next;
}

/* ---- the timer ---- */

static uint64_t
hello_due(struct path *path, struct path_peer *peer, uint64_t now)
{
	uint64_t interval;

	/* exitgate peers, pinned to nothing: until they know our key, and whenever our summary
	 * changed since they last heard it */
	if (peer->pin != CONFIG_PATH_AUTO || !peer->exitgate)
		return 0;
	if (peer->has_disco_key && peer->hello_sent_sequence == path->summary_sequence)
		return 0;
	interval = peer->hello_failed		    ? PATH_HELLO_RETRY_MS
		   : now < peer->active_until_ns ? PATH_HELLO_INTERVAL_MS
						 : PATH_HELLO_IDLE_INTERVAL_MS;
	if (peer->hello_sent_ns != 0 && now < peer->hello_sent_ns + interval * NS_PER_MS)
		return peer->hello_sent_ns + interval * NS_PER_MS;
	hello_send(path, peer, now);
	return now + interval * NS_PER_MS;
}

static uint64_t
path_timer(struct loop *loop, uint64_t now, void *arg)
{
	struct path *path = arg;
	struct path_peer **pp = &path->active;
	uint64_t next = netcheck_tick(path, now);

	(void)loop;
	next = loop_earliest(next, requests_expire(path, now));
	while (*pp != NULL) {
		struct path_peer *peer = *pp;
		uint64_t due = loop_earliest(peer_path_tick(peer, now), hello_due(path, peer, now));

		if (due == 0 && now >= peer->active_until_ns) {
			/* nothing in flight and no traffic: off the list until something happens */
			*pp = peer->active_next;
			peer->on_active_list = false;
			peer->active_next = NULL;
			continue;
		}
		next = loop_earliest(next, due != 0 ? due : peer->active_until_ns);
		pp = &peer->active_next;
	}
	return next == 0 ? LOOP_NEVER : next;
}

/* ---- port mapping ---- */

static void
portmap_changed(void *ctx)
{
	struct path *path = ctx;
	struct portmap_status st;
	struct netendpoint now = {0};
	uint64_t t = path_now();

	portmap_status(path->portmap, &st);
	if (st.mapped)
		now = st.external;
	if (netendpoint_equal(&now, &path->portmapped))
		return;
	if (st.mapped) {
		char ep[NETADDR_TEXT_MAX];

		log_info("path: port mapping: %s maps %s to the listen port",
			 portmap_protocol_name(st.protocol), netendpoint_format(&now, ep, sizeof(ep)));
	} else {
		log_info("path: port mapping: none in place");
	}
	path->portmapped = now;
	/* a new endpoint: advertised at once (peers looking for a path get a CallMeMaybe) */
	path->summary_sequence++;
	path->endpoints_ns = t;
	for (struct path_peer *p = path->active; p != NULL; p = p->active_next)
		peer_path_own_endpoints_changed(p, t);
	if (path->hooks.endpoints_changed != NULL)
		path->hooks.endpoints_changed(path->hooks.ctx);
	path_wake(path);
}

static void
portmap_open(struct path *path, const struct config *config)
{
	const struct config_nat_traversal *nt = &config->nat_traversal;
	struct portmap_config pc = {
		.loop = path->loop,
		.gateway = path->public_gateway,
		.internal_port = path->listen_port,
		.protocols = nt->port_mapping,
		.protocol_count = nt->port_mapping_count,
		.on_change = portmap_changed,
		.ctx = path,
	};

	path->portmap_configured = nt->port_mapping_count != 0;
	if (!path->portmap_configured)
		return;
	/* the mapping is asked for from the public port's IPv4 address (its kernel TAP carries
	 * it), towards the port's gateway */
	for (size_t i = 0; i < path->public_address_count; i++)
		if (path->public_addresses[i].addr.family == AF_INET) {
			pc.local = path->public_addresses[i].addr;
			break;
		}
	if (pc.local.family == 0 || pc.gateway.family == 0) {
		log_warn("path: port mapping configured, but the public port has no IPv4 address "
			 "and gateway to ask: none");
		return;
	}
	path->portmap = portmap_create(&pc);
	if (path->portmap == NULL)
		log_warn("path: port mapping: cannot start it");
}

/* ---- life cycle ---- */

static void
load_addresses(struct path *path, const struct path_config *c)
{
	path->public_address_count = 0;
	for (size_t i = 0; i < c->public_address_count &&
			   path->public_address_count < sizeof(path->public_addresses) /
							    sizeof(path->public_addresses[0]);
	     i++)
		path->public_addresses[path->public_address_count++] = c->public_addresses[i];
	path->public_gateway = c->public_gateway;
}

static void
load_static_endpoints(struct path *path, const struct config *config)
{
	const struct config_nat_traversal *nt = &config->nat_traversal;
	size_t max = sizeof(path->static_endpoints) / sizeof(path->static_endpoints[0]);

	path->static_endpoint_count = 0;
	for (size_t i = 0; i < nt->static_endpoint_count && i < max; i++)
		path->static_endpoints[path->static_endpoint_count++] = nt->static_endpoints[i];
	if (nt->static_endpoint_count > max)
		log_warn("path: nat_traversal.static_endpoints: the first %zu are used", max);
}

struct path *
path_create(const struct path_config *c)
{
	struct path *path = calloc(1, sizeof(*path));

	if (path == NULL)
		return NULL;
	path->loop = c->loop;
	path->hooks = c->hooks;
	path->listen_port = c->config->node.listen_port;
	path->timer = -1;
	memcpy(path->node_private, c->node_private_key, PATH_KEY_LEN);
	crypto_scalarmult_base(path->node_public, path->node_private);
	if (keymap_init(&path->by_node, c->config->peer_count) != 0 ||
	    keymap_init(&path->by_disco, c->config->peer_count) != 0)
		goto fail;
	disco_key_load(path, c->config->node.state_dir);
	load_addresses(path, c);
	load_static_endpoints(path, c->config);
	path->summary_sequence = 1;
	netcheck_init(path, &c->config->derp, &c->config->nat_traversal);
	portmap_open(path, c->config);
	path->timer = loop_add_timer(path->loop, path_timer, path, 0);
	if (path->timer < 0)
		goto fail;
	{
		char b64[KEY_BASE64_LEN + 1];

		key_to_base64(b64, path->disco_public);
		log_info("path: disco key %s (%s)", b64, path->disco_key_source);
	}
	return path;
fail:
	path_destroy(path);
	return NULL;
}

void
path_destroy(struct path *path)
{
	size_t i = 0;
	const uint8_t *key;
	void *value;
	struct path_peer **all;
	size_t n = 0;

	if (path == NULL)
		return;
	if (path->timer >= 0)
		loop_del_timer(path->loop, path->timer);
	/* deleted on the gateway before we go */
	portmap_destroy(path->portmap);
	path->portmap = NULL;
	/* peers go after the walk: removing changes the table */
	all = calloc(path->by_node.count + 1, sizeof(*all));
	while (all != NULL && keymap_next(&path->by_node, &i, &key, &value))
		all[n++] = value;
	for (size_t j = 0; j < n; j++)
		path_peer_remove(all[j]);
	free(all);
	while (path->requests != NULL) {
		struct path_ping_request *r = path->requests;

		path->requests = r->next;
		free(r);
	}
	keymap_free(&path->by_node);
	keymap_free(&path->by_disco);
	sodium_memzero(path->disco_private, sizeof(path->disco_private));
	sodium_memzero(path->node_private, sizeof(path->node_private));
	free(path);
}

void
path_apply_config(struct path *path, const struct config *config)
{
	load_static_endpoints(path, config);
	path->listen_port = config->node.listen_port;
	netcheck_init(path, path->derp_from_control ? NULL : &config->derp,
		      &config->nat_traversal);
	path->summary_sequence++;
	path_wake(path);
}

void
path_set_derp_map(struct path *path, const struct config_derp *derp)
{
	path->derp_from_control = true;
	netcheck_init(path, derp, NULL);
	path_wake(path);
}

void
path_set_node_key(struct path *path, const uint8_t private_key[PATH_KEY_LEN])
{
	memcpy(path->node_private, private_key, PATH_KEY_LEN);
	crypto_scalarmult_base(path->node_public, path->node_private);
}

const uint8_t *
path_disco_public_key(const struct path *path)
{
	return path->disco_public;
}

/* ---- reports ---- */

void
path_peer_describe(struct path *path, const struct path_peer *peer, struct strbuf *out, bool json)
{
	(void)path;
	peer_path_describe(peer, out, json, path_now());
}

void
path_netcheck(struct path *path, struct strbuf *out, bool json)
{
	netcheck_report_text(path, out, json);
}

void
path_netcheck_start(struct path *path)
{
	netcheck_start_round(path, path_now());
	/* which port-mapping services answer is part of the report */
	if (path->portmap != NULL)
		portmap_probe(path->portmap);
	path_wake(path);
}

bool
path_netcheck_running(const struct path *path)
{
	return path->round_running;
}

void
path_why(struct path *path, const struct path_peer *peer, struct strbuf *out, bool json)
{
	why_describe(path, peer, out, json, path_now());
}

void
path_netinfo(const struct path *path, struct path_netinfo *ni)
{
	const struct path_report *r = &path->report;
	struct disco_summary s;

	memset(ni, 0, sizeof(*ni));
	netcheck_summary(path, &s);
	ni->valid = r->valid;
	ni->udp4 = r->udp4;
	ni->udp6 = r->udp6;
	ni->varies4 = r->varies4;
	ni->varies6 = r->varies6;
	ni->portmap = (s.flags & DISCO_SUMMARY_PORTMAP) != 0;
	ni->portmap_protocol = s.portmap_protocol;
	ni->preferred_region = r->preferred_region;
	for (size_t i = 0; i < path->region_count && i < 16; i++) {
		ni->regions[i].id = path->regions[i].id;
		ni->regions[i].latency_us = path->regions[i].latency_us;
		ni->region_count++;
	}
}

const char *
path_region_code(const struct path *path, uint32_t region)
{
	return netcheck_region_code(path, region);
}

size_t
path_endpoints(const struct path *path, struct netendpoint *eps, uint8_t *types, size_t max)
{
	return netcheck_endpoints(path, eps, types, max);
}

static const char *const path_counter_names[] = {
#define PATH_COUNTER_NAME(name, text) #name,
	PATH_COUNTERS(PATH_COUNTER_NAME)
#undef PATH_COUNTER_NAME
};

void
path_stats(struct path *path, struct strbuf *out, bool json)
{
	if (json)
		strbuf_puts(out, ",\"path\":{");
	else
		strbuf_puts(out, "path selection\n");
	for (int c = 0; c < PATH_COUNTER_COUNT; c++) {
		if (json)
			strbuf_printf(out, "%s\"%s\":%llu", c ? "," : "", path_counter_names[c],
				      (unsigned long long)path->counters[c]);
		else if (path->counters[c] != 0)
			strbuf_printf(out, "  %-30s %llu\n", path_counter_names[c],
				      (unsigned long long)path->counters[c]);
	}
	if (json)
		strbuf_puts(out, "}");
}
