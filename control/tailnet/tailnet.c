/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control client's state machine (tailnet.h). One connection attempt walks the phases of
 * enum tailnet_phase; any failure tears the connection down, counts the reason and waits a
 * jittered back-off before the next attempt; the netmap survives every failure.
 *
 * Concurrency: the control loop's thread only. Socket events come through on_fd, everything
 * timed (deadlines, the watchdog, lite updates, the resolver's poll, reads left for the next
 * turn) through the one timer, whose deadline is recomputed after every event.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto.h"
#include "keyfile.h"
#include "log.h"
#include "loop.h"
#include "tailnet_internal.h"
#include "tailnet_json.h"
#include "tailnet_keys.h"

#ifndef TAILNET_IPN_VERSION
#define TAILNET_IPN_VERSION "exitgate"
#endif

enum {
	MS = 1000000, /* ns */
	RESOLVE_POLL_MS = 20,
	READS_PER_TURN = 64,
	AUTH_KEY_MAX = 512,
	WHY_LONG = 512, /* file errors name the file */
};

static void advance(struct tailnet *t, uint32_t events, uint64_t now);

const char *
tailnet_state_name(enum tailnet_state state)
{
	switch (state) {
	case TAILNET_STATE_CONNECTING:
		return "connecting";
	case TAILNET_STATE_CONNECTED:
		return "connected";
	case TAILNET_STATE_BACKOFF:
		return "backoff";
	case TAILNET_STATE_NEEDS_LOGIN:
		return "needs-login";
	}
	return "unknown";
}

static int64_t
now_unix(void)
{
	return (int64_t)time(NULL);
}

static void
set_state(struct tailnet *t, enum tailnet_state state, const char *reason)
{
	bool changed = t->state != state || strcmp(t->reason, reason) != 0;

	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	if (!changed)
		return;
	t->state = state;
	log_info("tailnet: %s%s%s", tailnet_state_name(state), reason[0] != '\0' ? ": " : "",
		 reason);
	if (t->on_state != NULL)
		t->on_state(t->ctx, state, t->reason);
}

/* The connection */

static void
request_reset(struct tailnet_request *r)
{
	struct tailnet *t = r->t;

	free(r->body);
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->stream_id = -1;
}

static void
close_transport(struct tailnet *t)
{
	if (t->registered_fd >= 0) {
		loop_del_fd(t->loop, t->registered_fd);
		t->registered_fd = -1;
		t->registered_events = 0;
	}
	tailnet_transport_close(&t->tr);
	t->in_len = 0;
	t->out_off = t->out_len = 0;
	t->read_pending = false;
}

static void
teardown(struct tailnet *t)
{
	/* the session first: its streams refer to the requests */
	tailnet_h2_free(t->h2);
	t->h2 = NULL;
	close_transport(t);
	request_reset(&t->reg);
	request_reset(&t->map);
	request_reset(&t->lite);
	sodium_memzero(&t->hs, sizeof(t->hs));
	ts2021_session_wipe(&t->session);
	ts2021_reader_init(&t->reader);
	ts2021_early_free(&t->early);
	tailnet_mapstream_free(&t->mapstream);
	t->stage_len = 0;
	t->map_started = false;
	t->fail_reason = NULL;
	t->fail_counter = NULL;
}

/* Jittered exponential back-off: a delay drawn from [base/2, base]. */
static uint64_t
backoff_ms(const struct tailnet *t)
{
	uint64_t base = TAILNET_BACKOFF_MIN_MS;

	for (uint32_t i = 1; i < t->failures && base < t->backoff_max_ms; i++)
		base *= 2;
	if (base > t->backoff_max_ms)
		base = t->backoff_max_ms;
	return base / 2 + randombytes_uniform((uint32_t)(base / 2 + 1));
}

static void
fail_as(struct tailnet *t, uint64_t now, uint64_t *counter, enum tailnet_state state,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
fail_as(struct tailnet *t, uint64_t now, uint64_t *counter, enum tailnet_state state,
	const char *fmt, ...)
{
	char reason[sizeof(t->reason)];
	uint64_t delay;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (t->map_started)
		t->stats.disconnects++;
	if (counter != NULL)
		(*counter)++;
	teardown(t);
	t->failures++;
	delay = backoff_ms(t);
	t->retry_at = now + delay * MS;
	t->phase = TAILNET_PHASE_IDLE;
	log_warn("tailnet: %s (next attempt in %llu ms)", reason, (unsigned long long)delay);
	set_state(t, state, reason);
}

#define fail(t, now, counter, ...) fail_as(t, now, counter, TAILNET_STATE_BACKOFF, __VA_ARGS__)

static void
begin_connect(struct tailnet *t, uint64_t now, enum tailnet_phase phase)
{
	size_t i = t->addr_next++ % t->addr_count;

	close_transport(t);
	t->phase = phase;
	t->deadline = now + (uint64_t)TAILNET_CONNECT_TIMEOUT_MS * MS;
	if (tailnet_transport_connect(&t->tr, &t->addrs[i], t->addr_lens[i]) < 0)
		fail(t, now, &t->stats.connect_failures, "connecting to %s: %s",
		     t->url.authority, t->tr.why);
}

static void
start_attempt(struct tailnet *t, uint64_t now)
{
	t->stats.connect_attempts++;
	set_state(t, TAILNET_STATE_CONNECTING, "");
	if (t->url.literal_family != 0) {
		if (tailnet_literal_address(&t->url, &t->addrs[0], &t->addr_lens[0]) < 0) {
			fail(t, now, &t->stats.resolve_failures, "bad address %s", t->url.host);
			return;
		}
		t->addr_count = 1;
		begin_connect(t, now, TAILNET_PHASE_KEY_CONNECT);
		return;
	}
	t->phase = TAILNET_PHASE_RESOLVE;
	t->deadline = now + (uint64_t)TAILNET_CONNECT_TIMEOUT_MS * MS;
	if (tailnet_resolve_start(&t->resolver, &t->url) < 0)
		fail(t, now, &t->stats.resolve_failures, "resolving %s: cannot start the lookup",
		     t->url.host);
}

static void
poll_resolver(struct tailnet *t, uint64_t now)
{
	const char *why = NULL;
	size_t count = 0;
	int rc = tailnet_resolve_poll(&t->resolver, t->addrs, t->addr_lens, &count, &why);

	if (rc == 0)
		return;
	if (rc < 0) {
		fail(t, now, &t->stats.resolve_failures, "resolving %s: %s", t->url.host, why);
		return;
	}
	t->addr_count = count;
	begin_connect(t, now, TAILNET_PHASE_KEY_CONNECT);
}

/* Output */

static bool
out_room(const struct tailnet *t, size_t need)
{
	return TAILNET_OUT_MAX - t->out_len >= need;
}

static void
out_compact(struct tailnet *t)
{
	if (t->out_off == 0)
		return;
	memmove(t->out, t->out + t->out_off, t->out_len - t->out_off);
	t->out_len -= t->out_off;
	t->out_off = 0;
}

static int
seal_stage(struct tailnet *t)
{
	size_t n;

	if (t->stage_len == 0)
		return 0;
	n = ts2021_record_seal(&t->session.tx, t->out + t->out_len, t->stage, t->stage_len);
	if (n == 0)
		return -1;
	t->out_len += n;
	t->stage_len = 0;
	return 0;
}

/* Move what HTTP/2 has to send into records, as far as the output buffer allows. */
static int
pump_h2(struct tailnet *t, const char **why)
{
	/* the largest frame nghttp2 hands out at once, sealed */
	const size_t room_needed = 2 * (16384 + 9) + 8 * (TS2021_HEADER_LEN + TS2021_TAG_LEN);

	if (t->h2 == NULL)
		return 0;
	out_compact(t);
	while (out_room(t, room_needed)) {
		const uint8_t *data;
		ssize_t n = tailnet_h2_send_chunk(t->h2, &data, why);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		while (n > 0) {
			size_t take = TS2021_PLAINTEXT_MAX - t->stage_len;

			if (take > (size_t)n)
				take = (size_t)n;
			memcpy(t->stage + t->stage_len, data, take);
			t->stage_len += take;
			data += take;
			n -= (ssize_t)take;
			if (t->stage_len == TS2021_PLAINTEXT_MAX && seal_stage(t) < 0) {
				*why = "send nonces exhausted";
				return -1;
			}
		}
	}
	if (seal_stage(t) < 0) {
		*why = "send nonces exhausted";
		return -1;
	}
	return 0;
}

/* Write queued bytes; -1 with the transport's reason when the stream fails. */
static int
flush_out(struct tailnet *t)
{
	while (t->out_off < t->out_len) {
		ssize_t n = tailnet_transport_write(&t->tr, t->out + t->out_off,
						    t->out_len - t->out_off);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		t->out_off += (size_t)n;
	}
	t->out_off = t->out_len = 0;
	return 0;
}

static void
queue_text(struct tailnet *t, const char *text, size_t len)
{
	memcpy(t->out + t->out_len, text, len);
	t->out_len += len;
}

/* Requests */

static void
fill_request_info(const struct tailnet *t, struct tailnet_request_info *info)
{
	memset(info, 0, sizeof(*info));
	info->version = t->version;
	info->node_public = t->node_public;
	info->disco_public = t->disco_public;
	info->hostname = t->hostname;
	info->ipn_version = t->ipn_version;
	info->advertise_exit_node = t->advertise_exit_node;
	info->zstd = t->zstd;
	info->netinfo = t->netinfo_known ? &t->netinfo : NULL;
	info->endpoints = t->endpoints;
	info->endpoint_types = t->endpoint_types;
	info->endpoint_count = t->endpoint_count;
}

static int
submit(struct tailnet *t, struct tailnet_request *r, enum tailnet_request_kind kind,
       const char *path, char *body, uint64_t now)
{
	char lb[TAILNET_KEY_TEXT_MAX];

	request_reset(r);
	if (body == NULL)
		return -1;
	tailnet_key_format(lb, sizeof(lb), "nodekey:", t->node_public);
	r->kind = kind;
	r->deadline = now + (uint64_t)TAILNET_REQUEST_TIMEOUT_MS * MS;
	r->stream_id = tailnet_h2_post(t->h2, path, body, strlen(body), lb, r);
	sodium_memzero(body, strlen(body)); /* a register body holds the auth key */
	free(body);
	if (r->stream_id < 0) {
		request_reset(r);
		return -1;
	}
	return 0;
}

static void
submit_register(struct tailnet *t, bool with_auth, uint64_t now)
{
	struct tailnet_request_info info;
	char key[AUTH_KEY_MAX + 1], why[WHY_LONG];
	char *body;

	t->register_with_auth = with_auth;
	if (with_auth) {
		if (t->auth_key_file == NULL) {
			fail_as(t, now, &t->stats.login_refused, TAILNET_STATE_NEEDS_LOGIN,
				"the server does not know this node and no auth key file is set");
			return;
		}
		if (token_file_read("auth key file", t->auth_key_file, NULL, key, sizeof(key), why,
				    sizeof(why)) < 0) {
			fail_as(t, now, &t->stats.login_refused, TAILNET_STATE_NEEDS_LOGIN, "%s",
				why);
			return;
		}
	}
	fill_request_info(t, &info);
	body = tailnet_json_register_request(&info, with_auth ? key : NULL);
	sodium_memzero(key, sizeof(key));
	if (submit(t, &t->reg, TAILNET_REQ_REGISTER, "/machine/register", body, now) < 0)
		fail(t, now, &t->stats.http2_failures, "register: cannot submit the request");
}

static void
submit_map(struct tailnet *t, uint64_t now)
{
	struct tailnet_request_info info;

	fill_request_info(t, &info);
	/* the poll carries what the node publishes now */
	t->lite_dirty = false;
	tailnet_mapstream_free(&t->mapstream);
	tailnet_mapstream_init(&t->mapstream, t->zstd);
	if (submit(t, &t->map, TAILNET_REQ_MAP, "/machine/map",
		   tailnet_json_map_request(&info, true), now) < 0)
		fail(t, now, &t->stats.http2_failures, "map: cannot submit the request");
}

static void
submit_lite(struct tailnet *t, uint64_t now)
{
	struct tailnet_request_info info;

	fill_request_info(t, &info);
	t->lite_dirty = false;
	if (submit(t, &t->lite, TAILNET_REQ_LITE, "/machine/map",
		   tailnet_json_map_request(&info, false), now) < 0) {
		t->lite_dirty = true;
		t->lite_due = now + (uint64_t)TAILNET_LITE_RETRY_MS * MS;
		t->stats.lite_update_failures++;
	}
}

/* HTTP/2 callbacks: they record; the state machine acts once tailnet_h2_recv returns. */

/* A stream the state machine gave up (a lite update that timed out) may still report: only
 * the stream a request holds now counts. */
static void
on_status(void *ctx, int32_t stream_id, int status)
{
	struct tailnet_request *r = ctx;

	if (r->stream_id == stream_id)
		r->status = status;
}

static void
body_append(struct tailnet_request *r, const uint8_t *data, size_t len)
{
	if (r->len + len > TAILNET_RESPONSE_BODY_MAX) {
		r->too_long = true;
		return;
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap == 0 ? 4096 : r->cap;
		uint8_t *grown;

		while (cap < r->len + len + 1)
			cap *= 2;
		grown = realloc(r->body, cap);
		if (grown == NULL) {
			r->too_long = true;
			return;
		}
		r->body = grown;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
}

static int
map_message(struct tailnet *t, const char *json, size_t len)
{
	struct tailnet_parse_counters counters = {0};
	struct tailnet_netmap_change change;
	struct tailnet_delta d;
	enum tailnet_apply_result rc;
	char why[TAILNET_WHY_MAX];

	t->stats.map_messages++;
	t->last_map_rx = loop_now();
	if (t->on_message != NULL)
		t->on_message(t->ctx, json, len);
	if (tailnet_json_parse_map(json, len, &d, &counters, why) < 0) {
		snprintf(t->fail_buf, sizeof(t->fail_buf), "map message refused: %s", why);
		t->fail_reason = t->fail_buf;
		t->fail_counter = &t->stats.map_json_failures;
		return -1;
	}
	t->stats.endpoints_skipped += counters.endpoints_skipped;
	t->stats.texts_truncated += counters.texts_truncated;
	t->stats.filter_entries_skipped += counters.filter_entries_skipped;
	t->stats.ping_requests_ignored += counters.ping_requests_ignored;
	rc = tailnet_store_apply(&t->store, &d, now_unix(), &change);
	tailnet_delta_free(&d);
	if (rc < 0) {
		snprintf(t->fail_buf, sizeof(t->fail_buf), "map message refused: %s",
			 rc == TAILNET_APPLY_TOO_MANY_PEERS ? "more peers than the limit"
							    : "out of memory");
		t->fail_reason = t->fail_buf;
		t->fail_counter = rc == TAILNET_APPLY_TOO_MANY_PEERS ? &t->stats.map_limit_failures
								     : &t->stats.map_json_failures;
		return -1;
	}
	if (!t->map_started) {
		t->map_started = true;
		t->failures = 0;
		t->connected_since = t->last_map_rx;
		t->stats.connects++;
		set_state(t, TAILNET_STATE_CONNECTED, "");
	}
	if (rc == TAILNET_APPLY_KEEPALIVE) {
		t->stats.keepalives++;
		return 0;
	}
	if (rc == TAILNET_APPLY_UNCHANGED)
		return 0;
	/* The server expired this node's key: peers stop talking to it, and only a new login
	 * (a node key the operator rotates) helps. The poll goes on; the state says so. */
	if (change.self_changed) {
		bool expired = tailnet_node_expired(&t->store.nm.self, now_unix());

		if (expired && t->state == TAILNET_STATE_CONNECTED) {
			t->stats.self_expired++;
			set_state(t, TAILNET_STATE_NEEDS_LOGIN, "the server expired this node's key");
		} else if (!expired && t->state == TAILNET_STATE_NEEDS_LOGIN) {
			set_state(t, TAILNET_STATE_CONNECTED, "");
		}
	}
	if (t->on_netmap != NULL)
		t->on_netmap(t->ctx, &t->store.nm, &change);
	return 0;
}

static int
on_data(void *ctx, int32_t stream_id, const uint8_t *data, size_t len)
{
	struct tailnet_request *r = ctx;
	struct tailnet *t = r->t;

	if (r->stream_id != stream_id)
		return 0;
	if (r->kind != TAILNET_REQ_MAP || r->status != 200) {
		body_append(r, data, len);
		return 0;
	}
	while (len > 0) {
		const char *json;
		size_t json_len;
		enum tailnet_mapstream_result m =
			tailnet_mapstream_next(&t->mapstream, &data, &len, &json, &json_len);

		if (m == TAILNET_MAPSTREAM_MORE)
			break;
		if (m < 0) {
			t->fail_reason = tailnet_mapstream_result_name(m);
			t->fail_counter = &t->stats.map_framing_failures;
			return -1;
		}
		if (map_message(t, json, json_len) < 0)
			return -1;
	}
	return 0;
}

static void
on_close(void *ctx, int32_t stream_id, uint32_t error_code)
{
	struct tailnet_request *r = ctx;

	if (r->stream_id != stream_id)
		return;
	r->done = true;
	r->error_code = error_code;
}

static const struct tailnet_h2_callbacks h2_callbacks = {
	.on_status = on_status,
	.on_data = on_data,
	.on_close = on_close,
};

/* A printable excerpt of a server's error text. */
static const char *
excerpt(const struct tailnet_request *r, char *buf, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; r->body != NULL && i < r->len && n + 1 < size && n < 120; i++) {
		uint8_t c = r->body[i];

		buf[n++] = c >= ' ' && c < 0x7f ? (char)c : ' ';
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

static void
register_done(struct tailnet *t, uint64_t now)
{
	struct tailnet_register_result result;
	struct tailnet_request *r = &t->reg;
	bool retry = !t->register_with_auth && t->auth_key_file != NULL;
	char why[TAILNET_WHY_MAX], text[128];

	if (r->error_code != 0 || r->status == 0) {
		fail(t, now, &t->stats.http2_failures, "register: stream reset (error %u)",
		     r->error_code);
		return;
	}
	if (r->status != 200 || r->too_long) {
		if (retry) {
			log_info("tailnet: register without the auth key: HTTP %d %s; with it now",
				 r->status, excerpt(r, text, sizeof(text)));
			submit_register(t, true, now);
			return;
		}
		fail(t, now, &t->stats.register_failures, "register: HTTP %d %s", r->status,
		     excerpt(r, text, sizeof(text)));
		return;
	}
	if (tailnet_json_parse_register((const char *)r->body, r->len, &result, why) < 0) {
		fail(t, now, &t->stats.register_failures, "register: %s", why);
		return;
	}
	if (result.error[0] != '\0' || result.auth_url[0] != '\0' || result.node_key_expired ||
	    !result.machine_authorized) {
		const char *what = result.error[0] != '\0'	   ? result.error
				   : result.auth_url[0] != '\0' ? "the server asks for an "
								  "interactive login"
				   : result.node_key_expired	   ? "the node key has expired"
								   : "the machine is not authorized";

		if (retry) {
			log_info("tailnet: register without the auth key: %s; with it now", what);
			submit_register(t, true, now);
			return;
		}
		if (result.auth_url[0] != '\0')
			log_warn("tailnet: login URL: %s", result.auth_url);
		fail_as(t, now, &t->stats.login_refused, TAILNET_STATE_NEEDS_LOGIN, "login: %s",
			what);
		return;
	}
	log_info("tailnet: registered%s%s%s", result.login_name[0] != '\0' ? " as " : "",
		 result.login_name, t->register_with_auth ? " with the auth key" : "");
	t->server_knows_us = true;
	request_reset(r);
	submit_map(t, now);
}

static void
lite_done(struct tailnet *t, uint64_t now)
{
	struct tailnet_request *r = &t->lite;
	char text[128];

	if (r->error_code == 0 && r->status == 200) {
		t->stats.lite_updates_sent++;
	} else {
		t->stats.lite_update_failures++;
		log_warn("tailnet: lite update: HTTP %d (stream error %u) %s", r->status,
			 r->error_code, excerpt(r, text, sizeof(text)));
		t->lite_dirty = true;
		t->lite_due = now + (uint64_t)TAILNET_LITE_RETRY_MS * MS;
	}
	request_reset(r);
}

/* After HTTP/2 took bytes: act on what its callbacks recorded. */
static void
after_recv(struct tailnet *t, uint64_t now)
{
	char text[128];

	if (t->reg.done) {
		register_done(t, now);
		if (t->phase != TAILNET_PHASE_SESSION)
			return;
	}
	if (t->lite.done)
		lite_done(t, now);
	if (t->map.done) {
		if (t->map.status != 200)
			fail(t, now, &t->stats.map_failures, "map poll: HTTP %d %s", t->map.status,
			     excerpt(&t->map, text, sizeof(text)));
		else
			fail(t, now, &t->stats.map_failures, "map poll ended (stream error %u)",
			     t->map.error_code);
	}
}

/* Noise records -> plaintext -> early payload -> HTTP/2. */
static int
session_input(struct tailnet *t, const uint8_t *data, size_t len, uint64_t now)
{
	while (len > 0 && t->phase == TAILNET_PHASE_SESSION) {
		size_t plain_len;
		enum ts2021_read_result r =
			ts2021_reader_next(&t->reader, &t->session.rx, &data, &len, t->plain,
					   &plain_len);
		const uint8_t *p = t->plain;
		const char *why;

		if (r == TS2021_READ_MORE)
			return 0;
		if (r < 0) {
			fail(t, now, &t->stats.record_failures, "noise: %s",
			     ts2021_read_result_name(r));
			return -1;
		}
		if (!t->early.done) {
			enum ts2021_early_result e = ts2021_early_feed(&t->early, &p, &plain_len);

			if (e < 0) {
				fail(t, now, &t->stats.early_payload_failures,
				     "early payload: %s", e == TS2021_EARLY_TOO_LONG
								  ? "longer than its limit"
								  : "out of memory");
				return -1;
			}
			if (e == TS2021_EARLY_MORE)
				continue;
			if (!t->early.has_payload &&
			    tailnet_h2_recv(t->h2, t->early.header, TS2021_EARLY_HEADER_LEN,
					    &why) < 0)
				goto h2_failed;
		}
		if (plain_len > 0 && tailnet_h2_recv(t->h2, p, plain_len, &why) < 0)
			goto h2_failed;
		after_recv(t, now);
		continue;
h2_failed:
		if (t->fail_reason != NULL)
			fail(t, now, t->fail_counter, "%s", t->fail_reason);
		else
			fail(t, now, &t->stats.http2_failures, "http2: %s", why);
		return -1;
	}
	return 0;
}

static void
start_session(struct tailnet *t, uint64_t now, const uint8_t *rest, size_t rest_len)
{
	t->phase = TAILNET_PHASE_SESSION;
	ts2021_reader_init(&t->reader);
	ts2021_early_init(&t->early);
	tailnet_mapstream_init(&t->mapstream, t->zstd);
	t->h2 = tailnet_h2_new(t->url.authority, &h2_callbacks);
	if (t->h2 == NULL) {
		fail(t, now, &t->stats.http2_failures, "http2: cannot create the session");
		return;
	}
	submit_register(t, !t->server_knows_us, now);
	if (t->phase == TAILNET_PHASE_SESSION && rest_len > 0)
		session_input(t, rest, rest_len, now);
}

/* The pre-Noise exchanges */

static int
read_into_in(struct tailnet *t, bool *eof, uint64_t now, uint64_t *counter)
{
	*eof = false;
	for (;;) {
		ssize_t n;

		if (t->in_len == TAILNET_IN_MAX) {
			fail(t, now, counter, "the server's answer is longer than %d bytes",
			     TAILNET_IN_MAX);
			return -1;
		}
		n = tailnet_transport_read(&t->tr, t->in + t->in_len, TAILNET_IN_MAX - t->in_len);
		if (n == 0)
			return 0;
		if (n == -2) {
			*eof = true;
			return 0;
		}
		if (n < 0) {
			fail(t, now, counter, "reading from %s: %s", t->url.authority, t->tr.why);
			return -1;
		}
		t->in_len += (size_t)n;
	}
}

static void
key_exchange(struct tailnet *t, uint64_t now)
{
	struct ts2021_http_response resp;
	enum ts2021_http_result r;
	const uint8_t *body;
	uint8_t *decoded;
	size_t body_len = 0;
	char why[TAILNET_WHY_MAX];
	bool eof;

	if (flush_out(t) < 0) {
		fail(t, now, &t->stats.key_fetch_failures, "/key: %s", t->tr.why);
		return;
	}
	if (read_into_in(t, &eof, now, &t->stats.key_fetch_failures) < 0)
		return;
	r = ts2021_http_parse_response(t->in, t->in_len, &resp);
	if (r == TS2021_HTTP_INCOMPLETE) {
		if (eof)
			fail(t, now, &t->stats.key_fetch_failures, "/key: connection closed");
		return;
	}
	if (r < 0) {
		fail(t, now, &t->stats.key_fetch_failures, "/key: malformed HTTP response");
		return;
	}
	if (resp.status != 200) {
		fail(t, now, &t->stats.key_fetch_failures, "/key: HTTP %d", resp.status);
		return;
	}
	decoded = malloc(TS2021_HTTP_BODY_MAX);
	if (decoded == NULL) {
		fail(t, now, &t->stats.key_fetch_failures, "/key: out of memory");
		return;
	}
	r = ts2021_http_body(&resp, t->in + resp.head_len, t->in_len - resp.head_len, eof, decoded,
			     &body, &body_len);
	if (r == TS2021_HTTP_DONE &&
	    tailnet_json_parse_server_key(body, body_len, t->server_key, why) == 0) {
		free(decoded);
		t->server_key_known = true;
		begin_connect(t, now, TAILNET_PHASE_UP_CONNECT);
		return;
	}
	free(decoded);
	if (r == TS2021_HTTP_INCOMPLETE)
		return;
	fail(t, now, &t->stats.key_fetch_failures, "/key: %s",
	     r == TS2021_HTTP_DONE ? why
	     : r == TS2021_HTTP_TOO_LONG ? "body over 64 KiB"
					 : "malformed body");
}

static void
send_upgrade(struct tailnet *t, uint64_t now)
{
	uint8_t initiation[TS2021_INITIATION_LEN], ephemeral[32];
	char request[1024];
	int n;

	randombytes_buf(ephemeral, sizeof(ephemeral));
	if (ts2021_initiation(&t->hs, t->crypto, t->machine_private, t->server_key, ephemeral,
			      t->version, initiation) < 0) {
		sodium_memzero(ephemeral, sizeof(ephemeral));
		fail(t, now, &t->stats.noise_failures, "noise: cannot build the initiation");
		return;
	}
	sodium_memzero(ephemeral, sizeof(ephemeral));
	n = ts2021_http_upgrade_request(request, sizeof(request), &t->url, initiation,
					sizeof(initiation));
	if (n < 0) {
		fail(t, now, &t->stats.upgrade_failures, "upgrade: request too long");
		return;
	}
	queue_text(t, request, (size_t)n);
	t->phase = TAILNET_PHASE_UP_EXCHANGE;
	t->in_len = 0;
}

static void
upgrade_exchange(struct tailnet *t, uint64_t now)
{
	struct ts2021_http_response resp;
	enum ts2021_http_result r;
	enum ts2021_response_result nr;
	const uint8_t *rest;
	size_t rest_len;
	long need;
	bool eof;

	if (flush_out(t) < 0) {
		fail(t, now, &t->stats.upgrade_failures, "upgrade: %s", t->tr.why);
		return;
	}
	if (read_into_in(t, &eof, now, &t->stats.upgrade_failures) < 0)
		return;
	r = ts2021_http_parse_response(t->in, t->in_len, &resp);
	if (r == TS2021_HTTP_INCOMPLETE) {
		if (eof)
			fail(t, now, &t->stats.upgrade_failures, "upgrade: connection closed");
		return;
	}
	if (r < 0) {
		fail(t, now, &t->stats.upgrade_failures, "upgrade: malformed HTTP response");
		return;
	}
	if (resp.status != 101 || !resp.upgrade_control) {
		fail(t, now, &t->stats.upgrade_failures,
		     "upgrade: HTTP %d without Upgrade: tailscale-control-protocol", resp.status);
		return;
	}
	/* the Noise response may have come with the head, in the same read */
	rest = t->in + resp.head_len;
	rest_len = t->in_len - resp.head_len;
	need = ts2021_response_length(rest, rest_len);
	if (need < 0) {
		fail(t, now, &t->stats.noise_failures, "noise: the response is not a response");
		return;
	}
	if (need == 0 || rest_len < (size_t)need) {
		if (eof)
			fail(t, now, &t->stats.noise_failures, "noise: connection closed");
		return;
	}
	if (rest[0] == TS2021_MSG_ERROR) {
		char text[128];
		size_t n = 0;

		for (long i = TS2021_HEADER_LEN; i < need && n + 1 < sizeof(text); i++)
			text[n++] = rest[i] >= ' ' && rest[i] < 0x7f ? (char)rest[i] : ' ';
		text[n] = '\0';
		fail(t, now, &t->stats.noise_failures, "noise: the server refused: %s", text);
		return;
	}
	nr = ts2021_response(&t->hs, t->crypto, rest, (size_t)need, &t->session);
	if (nr != TS2021_RESPONSE_OK) {
		fail(t, now, &t->stats.noise_failures, "noise: %s",
		     nr == TS2021_RESPONSE_BAD_TAG ? "the response is not from the server's key"
		     : nr == TS2021_RESPONSE_BAD_KEY ? "the server's ephemeral key is invalid"
						     : "bad response");
		return;
	}
	t->in_len = 0;
	start_session(t, now, rest + need, rest_len - (size_t)need);
}

static void
session_io(struct tailnet *t, uint64_t now)
{
	const char *why = "";

	t->read_pending = false;
	for (int i = 0; i < READS_PER_TURN && t->phase == TAILNET_PHASE_SESSION; i++) {
		ssize_t n = tailnet_transport_read(&t->tr, t->rbuf, sizeof(t->rbuf));

		if (n == 0)
			break;
		if (n == -2) {
			fail(t, now, &t->stats.http2_failures, "the server closed the connection");
			return;
		}
		if (n < 0) {
			fail(t, now, &t->stats.http2_failures, "reading: %s", t->tr.why);
			return;
		}
		if (session_input(t, t->rbuf, (size_t)n, now) < 0)
			return;
		if (i == READS_PER_TURN - 1)
			t->read_pending = true; /* more may be buffered (TLS): next turn */
	}
	if (t->phase != TAILNET_PHASE_SESSION)
		return;
	if (pump_h2(t, &why) < 0) {
		fail(t, now, &t->stats.http2_failures, "http2: %s", why);
		return;
	}
	if (flush_out(t) < 0) {
		fail(t, now, &t->stats.http2_failures, "writing: %s", t->tr.why);
		return;
	}
	/* nghttp2 ends a session on a protocol error (or GOAWAY) by itself: once its GOAWAY is
	 * out and it wants nothing more, the connection is over */
	if (!tailnet_h2_alive(t->h2))
		fail(t, now, &t->stats.http2_failures, "http2: the session ended (protocol error or "
		     "GOAWAY)");
}

/* One step of whatever the connection waits for. */
static void
advance(struct tailnet *t, uint32_t events, uint64_t now)
{
	char request[512];
	int rc, n;

	switch (t->phase) {
	case TAILNET_PHASE_IDLE:
	case TAILNET_PHASE_RESOLVE:
		return;
	case TAILNET_PHASE_KEY_CONNECT:
	case TAILNET_PHASE_UP_CONNECT:
		rc = tailnet_transport_progress(&t->tr, events, t->ssl_ctx, &t->url);
		if (rc < 0) {
			fail(t, now, &t->stats.connect_failures, "connecting to %s: %s",
			     t->url.authority, t->tr.why);
			return;
		}
		if (rc == 0)
			return;
		if (t->phase == TAILNET_PHASE_UP_CONNECT) {
			send_upgrade(t, now);
		} else {
			n = ts2021_http_key_request(request, sizeof(request), &t->url, t->version);
			if (n < 0) {
				fail(t, now, &t->stats.key_fetch_failures, "/key: request too long");
				return;
			}
			queue_text(t, request, (size_t)n);
			t->phase = TAILNET_PHASE_KEY_EXCHANGE;
			t->in_len = 0;
		}
		advance(t, EPOLLOUT | EPOLLIN, now);
		return;
	case TAILNET_PHASE_KEY_EXCHANGE:
		key_exchange(t, now);
		return;
	case TAILNET_PHASE_UP_EXCHANGE:
		upgrade_exchange(t, now);
		if (t->phase == TAILNET_PHASE_SESSION)
			session_io(t, now);
		return;
	case TAILNET_PHASE_SESSION:
		session_io(t, now);
		return;
	}
}

/* Deadlines, the watchdog and lite updates. */
static void
check_time(struct tailnet *t, uint64_t now)
{
	switch (t->phase) {
	case TAILNET_PHASE_IDLE:
		if (t->retry_at <= now)
			start_attempt(t, now);
		return;
	case TAILNET_PHASE_RESOLVE:
		poll_resolver(t, now);
		if (t->phase == TAILNET_PHASE_RESOLVE && now >= t->deadline) {
			t->stats.timeouts++;
			fail(t, now, &t->stats.resolve_failures, "resolving %s: timed out",
			     t->url.host);
		}
		return;
	case TAILNET_PHASE_KEY_CONNECT:
	case TAILNET_PHASE_KEY_EXCHANGE:
	case TAILNET_PHASE_UP_CONNECT:
	case TAILNET_PHASE_UP_EXCHANGE:
		if (now >= t->deadline) {
			t->stats.timeouts++;
			fail(t, now, &t->stats.connect_failures, "%s: timed out after %d ms",
			     t->phase <= TAILNET_PHASE_KEY_EXCHANGE ? "/key" : "upgrade",
			     TAILNET_CONNECT_TIMEOUT_MS);
		}
		return;
	case TAILNET_PHASE_SESSION:
		break;
	}
	if ((t->reg.kind != TAILNET_REQ_NONE && now >= t->reg.deadline) ||
	    (!t->map_started && t->map.kind != TAILNET_REQ_NONE && now >= t->map.deadline)) {
		t->stats.timeouts++;
		fail(t, now, &t->stats.register_failures, "%s: no answer in %d ms",
		     t->reg.kind != TAILNET_REQ_NONE ? "register" : "map poll",
		     TAILNET_REQUEST_TIMEOUT_MS);
		return;
	}
	if (t->map_started && now >= t->last_map_rx + (uint64_t)t->watchdog_ms * MS) {
		t->stats.timeouts++;
		t->stats.watchdog_timeouts++;
		fail(t, now, &t->stats.map_failures, "map poll silent for %u ms", t->watchdog_ms);
		return;
	}
	if (t->lite.kind != TAILNET_REQ_NONE && now >= t->lite.deadline) {
		t->stats.timeouts++;
		tailnet_h2_cancel(t->h2, t->lite.stream_id);
		t->stats.lite_update_failures++;
		request_reset(&t->lite);
		t->lite_dirty = true;
		t->lite_due = now;
	}
	if (t->map_started && t->lite_dirty && t->lite.kind == TAILNET_REQ_NONE &&
	    now >= t->lite_due)
		submit_lite(t, now);
	if (t->read_pending)
		session_io(t, now);
	else
		advance(t, 0, now); /* send what the timer queued */
}

static uint64_t
next_deadline(const struct tailnet *t, uint64_t now)
{
	uint64_t next = UINT64_MAX;

#define SOONER(x)               \
	do {                    \
		if ((x) < next) \
			next = (x); \
	} while (0)
	switch (t->phase) {
	case TAILNET_PHASE_IDLE:
		SOONER(t->retry_at);
		break;
	case TAILNET_PHASE_RESOLVE:
		SOONER(now + RESOLVE_POLL_MS * MS);
		SOONER(t->deadline);
		break;
	case TAILNET_PHASE_KEY_CONNECT:
	case TAILNET_PHASE_KEY_EXCHANGE:
	case TAILNET_PHASE_UP_CONNECT:
	case TAILNET_PHASE_UP_EXCHANGE:
		SOONER(t->deadline);
		break;
	case TAILNET_PHASE_SESSION:
		if (t->read_pending)
			SOONER(now);
		if (t->reg.kind != TAILNET_REQ_NONE)
			SOONER(t->reg.deadline);
		if (t->lite.kind != TAILNET_REQ_NONE)
			SOONER(t->lite.deadline);
		if (!t->map_started && t->map.kind != TAILNET_REQ_NONE)
			SOONER(t->map.deadline);
		if (t->map_started) {
			SOONER(t->last_map_rx + (uint64_t)t->watchdog_ms * MS);
			if (t->lite_dirty && t->lite.kind == TAILNET_REQ_NONE)
				SOONER(t->lite_due);
		}
		break;
	}
#undef SOONER
	return next == UINT64_MAX ? LOOP_NEVER : (next == 0 ? 1 : next);
}

static void on_fd(struct loop *loop, int fd, uint32_t events, void *arg);

/* Keep the loop's registration in step with the connection's socket. */
static void
sync_fd(struct tailnet *t)
{
	uint32_t events;

	if (t->tr.fd < 0)
		return;
	events = tailnet_transport_events(&t->tr, t->out_off < t->out_len);
	if (t->registered_fd != t->tr.fd) {
		if (loop_add_fd(t->loop, t->tr.fd, events, on_fd, t) < 0)
			return;
		t->registered_fd = t->tr.fd;
		t->registered_events = events;
		return;
	}
	if (events != t->registered_events && loop_mod_fd(t->loop, t->tr.fd, events) == 0)
		t->registered_events = events;
}

static void
after_event(struct tailnet *t)
{
	uint64_t now = loop_now();

	sync_fd(t);
	loop_timer_at(t->loop, t->timer, next_deadline(t, now));
}

static void
on_fd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct tailnet *t = arg;

	(void)loop;
	if (fd != t->tr.fd)
		return;
	advance(t, events, loop_now());
	after_event(t);
}

static uint64_t
on_timer(struct loop *loop, uint64_t now, void *arg)
{
	struct tailnet *t = arg;

	(void)loop;
	check_time(t, now);
	sync_fd(t);
	return next_deadline(t, loop_now());
}

/* The face */

static char *
dup_or_null(const char *s, bool *failed)
{
	char *copy;

	if (s == NULL || s[0] == '\0')
		return NULL;
	copy = strdup(s);
	if (copy == NULL)
		*failed = true;
	return copy;
}

struct tailnet *
tailnet_create(const struct tailnet_config *config)
{
	struct tailnet *t;
	const char *why = NULL;
	char key_why[WHY_LONG];
	bool failed = false, created = false;

	if (config->loop == NULL || config->login_server == NULL || config->state_dir == NULL) {
		log_warn("tailnet: loop, login_server and state_dir are required");
		return NULL;
	}
	if (config->capability_version != 0 &&
	    config->capability_version < TAILNET_MIN_CAPABILITY_VERSION) {
		log_warn("tailnet: capability version %u: below %d, which headscale refuses",
			 config->capability_version, TAILNET_MIN_CAPABILITY_VERSION);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		log_warn("tailnet: calloc: %s", strerror(errno));
		return NULL;
	}
	t->loop = config->loop;
	t->timer = -1;
	t->registered_fd = -1;
	tailnet_transport_init(&t->tr);
	t->reg.t = t->map.t = t->lite.t = t;
	request_reset(&t->reg);
	request_reset(&t->map);
	request_reset(&t->lite);
	tailnet_store_init(&t->store, config->max_peers);
	if (http_url_parse(config->login_server, &t->url, &why) < 0) {
		log_warn("tailnet: login_server %s: %s", config->login_server, why);
		goto fail;
	}
	t->login_server = dup_or_null(config->login_server, &failed);
	t->auth_key_file = dup_or_null(config->auth_key_file, &failed);
	t->state_dir = dup_or_null(config->state_dir, &failed);
	t->in = malloc(TAILNET_IN_MAX);
	t->out = malloc(TAILNET_OUT_MAX);
	t->crypto = wg_crypto_new();
	if (failed || t->in == NULL || t->out == NULL || t->crypto == NULL) {
		log_warn("tailnet: out of memory");
		goto fail;
	}
	if (config->hostname != NULL && config->hostname[0] != '\0')
		snprintf(t->hostname, sizeof(t->hostname), "%s", config->hostname);
	else if (gethostname(t->hostname, sizeof(t->hostname) - 1) < 0)
		snprintf(t->hostname, sizeof(t->hostname), "exitgate");
	snprintf(t->ipn_version, sizeof(t->ipn_version), "%s", TAILNET_IPN_VERSION);
	t->advertise_exit_node = config->advertise_exit_node;
	t->version = config->capability_version != 0 ? config->capability_version
						     : TAILNET_CAPABILITY_VERSION;
	t->zstd = !config->plain_json;
	t->backoff_max_ms = config->backoff_max_ms != 0 ? config->backoff_max_ms
							: TAILNET_BACKOFF_MAX_MS;
	if (t->backoff_max_ms < TAILNET_BACKOFF_MIN_MS)
		t->backoff_max_ms = TAILNET_BACKOFF_MIN_MS;
	t->watchdog_ms = config->watchdog_ms != 0 ? config->watchdog_ms : TAILNET_WATCHDOG_MS;
	/* only the public half is needed: control never signs with the node key */
	if (wg_crypto_public_key(t->node_public, config->node_private_key) < 0) {
		log_warn("tailnet: node_private_key makes no public key");
		goto fail;
	}
	memcpy(t->disco_public, config->disco_public_key, 32);
	if (tailnet_machine_key_load(t->state_dir, t->machine_private, &created, key_why,
				     sizeof(key_why)) < 0) {
		log_warn("tailnet: machine key: %s", key_why);
		goto fail;
	}
	crypto_scalarmult_base(t->machine_public, t->machine_private);
	t->server_knows_us = !created;
	if (t->url.tls) {
		t->ssl_ctx = tailnet_tls_context(config->ca_file, &why);
		if (t->ssl_ctx == NULL) {
			log_warn("tailnet: TLS: %s", why);
			goto fail;
		}
	}
	t->on_netmap = config->on_netmap;
	t->on_state = config->on_state;
	t->on_message = config->on_message;
	t->ctx = config->ctx;
	t->state = TAILNET_STATE_BACKOFF; /* set_state reports CONNECTING on the first attempt */
	t->phase = TAILNET_PHASE_IDLE;
	t->retry_at = 0;
	t->timer = loop_add_timer(t->loop, on_timer, t, 0);
	if (t->timer < 0) {
		log_warn("tailnet: loop_add_timer: no free timer");
		goto fail;
	}
	log_info("tailnet: %s, capability version %u, %s, machine key %s", t->login_server,
		 t->version, t->zstd ? "zstd" : "plain JSON", created ? "created" : "loaded");
	return t;
fail:
	tailnet_destroy(t);
	return NULL;
}

void
tailnet_destroy(struct tailnet *t)
{
	if (t == NULL)
		return;
	teardown(t);
	tailnet_resolve_abandon(&t->resolver);
	if (t->timer >= 0)
		loop_del_timer(t->loop, t->timer);
	tailnet_store_free(&t->store);
	SSL_CTX_free(t->ssl_ctx);
	wg_crypto_free(t->crypto);
	free(t->in);
	free(t->out);
	free(t->login_server);
	free(t->auth_key_file);
	free(t->state_dir);
	sodium_memzero(t, sizeof(*t));
	free(t);
}

static void
mark_dirty(struct tailnet *t)
{
	if (t->lite_dirty)
		return;
	t->lite_dirty = true;
	t->lite_due = loop_now();
	loop_timer_at(t->loop, t->timer, t->lite_due);
}

void
tailnet_set_endpoints(struct tailnet *t, const struct netendpoint *eps, const uint8_t *types,
		      size_t n)
{
	bool same;

	if (n > TAILNET_ENDPOINTS_MAX)
		n = TAILNET_ENDPOINTS_MAX;
	same = n == t->endpoint_count && (n == 0 || memcmp(t->endpoint_types, types, n) == 0);
	for (size_t i = 0; same && i < n; i++)
		same = netendpoint_equal(&t->endpoints[i], &eps[i]);
	if (same)
		return;
	for (size_t i = 0; i < n; i++) {
		memset(&t->endpoints[i], 0, sizeof(t->endpoints[i]));
		t->endpoints[i].addr = eps[i].addr;
		t->endpoints[i].port = eps[i].port;
	}
	if (n > 0)
		memcpy(t->endpoint_types, types, n);
	t->endpoint_count = n;
	mark_dirty(t);
}

void
tailnet_set_netinfo(struct tailnet *t, const struct tailnet_netinfo *ni)
{
	size_t n = ni->derp_latency_count < TAILNET_DERP_LATENCY_MAX ? ni->derp_latency_count
								      : TAILNET_DERP_LATENCY_MAX;
	const struct tailnet_netinfo *cur = &t->netinfo;
	bool same;

	same = t->netinfo_known && cur->preferred_derp == ni->preferred_derp &&
	       cur->working_udp == ni->working_udp && cur->working_ipv6 == ni->working_ipv6 &&
	       cur->os_has_ipv6 == ni->os_has_ipv6 && cur->working_icmpv4 == ni->working_icmpv4 &&
	       cur->mapping_varies_by_dest_ip == ni->mapping_varies_by_dest_ip &&
	       cur->upnp == ni->upnp && cur->pmp == ni->pmp && cur->pcp == ni->pcp &&
	       cur->have_port_map == ni->have_port_map && cur->derp_latency_count == n;
	for (size_t i = 0; same && i < n; i++)
		same = t->latency[i].region_id == ni->derp_latency[i].region_id &&
		       t->latency[i].ipv6 == ni->derp_latency[i].ipv6 &&
		       t->latency[i].seconds == ni->derp_latency[i].seconds;
	if (same)
		return;
	for (size_t i = 0; i < n; i++)
		t->latency[i] = ni->derp_latency[i];
	t->netinfo = *ni;
	t->netinfo.derp_latency = t->latency;
	t->netinfo.derp_latency_count = n;
	t->netinfo_known = true;
	mark_dirty(t);
}

void
tailnet_set_disco_key(struct tailnet *t, const uint8_t key[32])
{
	if (memcmp(t->disco_public, key, 32) == 0)
		return;
	memcpy(t->disco_public, key, 32);
	mark_dirty(t);
}

const struct tailnet_netmap *
tailnet_netmap(const struct tailnet *t)
{
	return &t->store.nm;
}

enum tailnet_state
tailnet_state(const struct tailnet *t)
{
	return t->state;
}

const struct tailnet_stats *
tailnet_stats(const struct tailnet *t)
{
	return &t->stats;
}

void
tailnet_machine_public_key(const struct tailnet *t, uint8_t out[32])
{
	memcpy(out, t->machine_public, 32);
}
