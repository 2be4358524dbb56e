/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two devices (control/wg/device.c) wired back to back on one fake clock: handshakes with and
 * without a preshared key from either side, data both ways, the cookie round trip under load,
 * every malformed or hostile message with the drop reason it must be counted under, and the
 * timer rules as they produce packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sodium.h>

#include "device.h"
#include "fake_env.h"
#include "netaddr.h"

#define SEC 1000000000ULL
#define MS  1000000ULL

enum {
	MAX_DELIVERIES = 80,
	BUF_SIZE = 2048,
};

struct node {
	struct wg_device *dev;
	struct wg_peer *peer; /* the other node */
	struct netendpoint addr;
	uint8_t private_key[32];
	uint8_t public_key[32];
};

struct net {
	struct fake_env env;
	struct node a;
	struct node b;
};

/* A datagram as it arrived and what the receiving device made of it. */
struct delivery {
	uint8_t buf[BUF_SIZE];
	size_t len;
	struct wg_rx_result result;
};

static struct delivery deliveries[MAX_DELIVERIES];

static void
node_init(struct node *n, struct fake_env *env, const char *addr)
{
	const struct wg_device_config config = { .env = &env->env, .max_peers = 8 };
	const char *why;

	n->dev = wg_device_new(&config);
	assert_non_null(n->dev);
	assert_int_equal(wg_crypto_generate_keypair(&env->env, n->private_key, n->public_key), 0);
	assert_int_equal(wg_device_set_private_key(n->dev, n->private_key), 0);
	assert_memory_equal(wg_device_public_key(n->dev), n->public_key, 32);
	assert_int_equal(netendpoint_parse(addr, &n->addr, &why), 0);
}

static void
connect_nodes(struct node *x, struct node *y)
{
	x->peer = wg_device_add_peer(x->dev, y->public_key);
	assert_non_null(x->peer);
	wg_peer_set_endpoint(x->peer, &y->addr);
}

static int
setup(void **state)
{
	struct net *net = calloc(1, sizeof(*net));

	if (net == NULL)
		return -1;
	fake_env_init(&net->env, 11);
	node_init(&net->a, &net->env, "192.0.2.1:51820");
	node_init(&net->b, &net->env, "198.51.100.2:41641");
	connect_nodes(&net->a, &net->b);
	connect_nodes(&net->b, &net->a);
	*state = net;
	return 0;
}

static int
teardown(void **state)
{
	struct net *net = *state;

	wg_device_free(net->a.dev);
	wg_device_free(net->b.dev);
	free(net);
	return 0;
}

/* Deliver everything in from's outbox to to; returns how many (results in deliveries[]). */
static unsigned
pump(struct node *from, struct node *to)
{
	struct wg_outbound out;
	unsigned n = 0;

	while (wg_device_pop_output(from->dev, &out)) {
		struct delivery *d = &deliveries[n];

		assert_true(n < MAX_DELIVERIES);
		assert_true(out.len <= BUF_SIZE);
		assert_true(netendpoint_equal(&out.to, &to->addr));
		memcpy(d->buf, out.data, out.len);
		d->len = out.len;
		wg_device_receive(to->dev, &from->addr, d->buf, d->len, &d->result);
		n++;
	}
	return n;
}

/* Take everything out of a node's outbox without delivering it (lost on the wire); the message
 * types are written to types[] (up to max). */
static unsigned
drain(struct node *n, uint8_t *types, unsigned max)
{
	struct wg_outbound out;
	unsigned count = 0;

	while (wg_device_pop_output(n->dev, &out)) {
		if (count < max)
			types[count] = out.data[0];
		count++;
	}
	return count;
}

/* Take exactly one datagram of the given type out of n's outbox into d. */
static void
capture(struct node *n, uint8_t type, struct delivery *d)
{
	struct wg_outbound out;

	assert_true(wg_device_pop_output(n->dev, &out));
	assert_int_equal(out.data[0], type);
	memcpy(d->buf, out.data, out.len);
	d->len = out.len;
}

static size_t
ipv4_packet(uint8_t *buf, const char *payload)
{
	size_t len = 20 + strlen(payload);

	memset(buf, 0, 20);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[8] = 64;
	buf[9] = 17;
	memcpy(buf + 12, "\x0a\x63\x00\x01\x0a\x63\x00\x02", 8);
	memcpy(buf + 20, payload, strlen(payload));
	return len;
}

static void
send_text(struct node *n, const char *text)
{
	uint8_t packet[256];
	size_t len = ipv4_packet(packet, text);

	assert_int_equal(wg_device_send(n->dev, n->peer, packet, len), 0);
}

static void
expect_data(const struct delivery *d, const char *text)
{
	assert_int_equal(d->result.verdict, WG_RX_DATA);
	assert_int_equal(d->result.len, 20 + strlen(text));
	assert_memory_equal(d->result.data + 20, text, strlen(text));
}

static uint64_t
drops(const struct node *n, enum wg_drop_reason reason)
{
	return wg_device_stats(n->dev)->drops[reason];
}

/* Handshake from i to r started by data, the data delivered, and data back. */
static void
handshake_with_data(struct node *i, struct node *r)
{
	send_text(i, "hello");
	assert_int_equal(pump(i, r), 1); /* the initiation (hello waits) */
	assert_int_equal(deliveries[0].result.verdict, WG_RX_HANDSHAKE);
	assert_ptr_equal(deliveries[0].result.peer, r->peer);
	assert_int_equal(pump(r, i), 1); /* the response */
	assert_int_equal(deliveries[0].result.verdict, WG_RX_HANDSHAKE);
	assert_int_equal(pump(i, r), 1); /* hello, which confirms the session */
	expect_data(&deliveries[0], "hello");
	send_text(r, "hello back");
	assert_int_equal(pump(r, i), 1);
	expect_data(&deliveries[0], "hello back");
}

static void
test_handshakes(void **state)
{
	struct net *net = *state;
	uint8_t psk[32];
	int with_psk, a_initiates;

	randombytes_buf(psk, sizeof(psk));
	for (with_psk = 0; with_psk <= 1; with_psk++) {
		for (a_initiates = 0; a_initiates <= 1; a_initiates++) {
			struct node *i = a_initiates ? &net->a : &net->b;
			struct node *r = a_initiates ? &net->b : &net->a;
			uint64_t confirmed = wg_device_stats(r->dev)->sessions_confirmed;

			wg_peer_set_psk(net->a.peer, with_psk ? psk : NULL);
			wg_peer_set_psk(net->b.peer, with_psk ? psk : NULL);
			wg_peer_expire_current_keypairs(i->peer);
			fake_env_advance_ms(&net->env, 100);
			handshake_with_data(i, r);
			assert_int_equal(wg_device_stats(r->dev)->sessions_confirmed,
					 confirmed + 1);
		}
	}
	assert_int_equal(wg_device_stats(net->a.dev)->initiations_sent, 2);
	assert_int_equal(wg_device_stats(net->b.dev)->initiations_sent, 2);
	assert_int_equal(wg_device_stats(net->a.dev)->responses_sent, 2);
	assert_true(net->a.peer->stats.rx_bytes > 0 && net->a.peer->stats.tx_bytes > 0);
	for (with_psk = 0; with_psk < WG_DROP_REASON_COUNT; with_psk++) {
		assert_int_equal(drops(&net->a, with_psk), 0);
		assert_int_equal(drops(&net->b, with_psk), 0);
	}
}

static void
test_psk_mismatch(void **state)
{
	struct net *net = *state;
	uint8_t psk[32] = { 3 };

	wg_peer_set_psk(net->b.peer, psk);
	send_text(&net->a, "x");
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(pump(&net->b, &net->a), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_DROP);
	assert_int_equal(deliveries[0].result.drop_reason, WG_DROP_HANDSHAKE_DECRYPT);
	assert_int_equal(drops(&net->a, WG_DROP_HANDSHAKE_DECRYPT), 1);
}

/* Under load, an initiation without mac2 gets a cookie reply; the retry carries mac2 and is
 * processed. */
static void
test_cookie_round_trip(void **state)
{
	struct net *net = *state;

	wg_device_set_handshake_queue_depth(net->b.dev, WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE / 8);
	assert_true(wg_device_under_load(net->b.dev));
	send_text(&net->a, "under load");
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_DROP);
	assert_int_equal(deliveries[0].result.drop_reason, WG_DROP_NEEDS_COOKIE);
	assert_int_equal(wg_device_stats(net->b.dev)->cookie_replies_sent, 1);
	assert_int_equal(pump(&net->b, &net->a), 1);
	assert_int_equal(deliveries[0].len, WG_MSG_COOKIE_REPLY_LEN);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_HANDSHAKE);
	assert_int_equal(wg_device_stats(net->a.dev)->cookie_replies_received, 1);
	/* the retransmission after REKEY_TIMEOUT carries mac2 */
	fake_env_advance_ms(&net->env, 5400);
	wg_device_run_timers(net->a.dev);
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_HANDSHAKE);
	assert_int_equal(pump(&net->b, &net->a), 1);
	assert_int_equal(pump(&net->a, &net->b), 1);
	expect_data(&deliveries[0], "under load");
	/* the queue drained: still under load for one more second */
	wg_device_set_handshake_queue_depth(net->b.dev, 0);
	fake_env_advance_ms(&net->env, 999);
	assert_true(wg_device_under_load(net->b.dev));
	fake_env_advance_ms(&net->env, 1);
	assert_false(wg_device_under_load(net->b.dev));
	assert_int_equal(drops(&net->b, WG_DROP_NEEDS_COOKIE), 1);
}

/* Deliver from's outbox to to as the relay does: each message names its peer (the caller sends
 * a relayed peer's messages over DERP whatever its endpoint) and arrives from a relay source. */
static unsigned
relay_pump(struct node *from, struct node *to)
{
	struct netendpoint source;
	struct wg_outbound out;
	unsigned n = 0;

	wg_relay_source(&source, from->public_key);
	while (wg_device_pop_output(from->dev, &out)) {
		struct delivery *d = &deliveries[n];

		assert_true(n < MAX_DELIVERIES);
		assert_ptr_equal(out.peer, from->peer);
		memcpy(d->buf, out.data, out.len);
		d->len = out.len;
		wg_device_receive(to->dev, &source, d->buf, d->len, &d->result);
		n++;
	}
	return n;
}

/* Handshakes through the relay: a relayed peer without an endpoint is sendable, and a relay
 * source never becomes (or replaces) a peer's UDP endpoint. */
static void
test_relayed_handshakes(void **state)
{
	struct net *net = *state;
	struct netendpoint source;

	/* a knows b's UDP endpoint (unusable: UDP is blocked); b knows none of a's */
	wg_peer_set_relayed(net->a.peer, true);
	wg_peer_set_relayed(net->b.peer, true);
	wg_peer_set_endpoint(net->b.peer, NULL);
	wg_relay_source(&source, net->a.public_key);
	assert_true(wg_source_is_relay(&source));
	assert_memory_equal(source.addr.bytes, net->a.public_key, sizeof(source.addr.bytes));
	assert_int_equal(source.port, 0);

	/* b initiates without an endpoint */
	send_text(&net->b, "through the relay");
	assert_int_equal(relay_pump(&net->b, &net->a), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_HANDSHAKE);
	assert_ptr_equal(deliveries[0].result.peer, net->a.peer);
	assert_true(net->a.peer->has_endpoint);
	assert_true(netendpoint_equal(&net->a.peer->endpoint, &net->b.addr));
	assert_int_equal(relay_pump(&net->a, &net->b), 1); /* the response */
	assert_int_equal(deliveries[0].result.verdict, WG_RX_HANDSHAKE);
	assert_false(net->b.peer->has_endpoint);
	assert_int_equal(relay_pump(&net->b, &net->a), 1);
	expect_data(&deliveries[0], "through the relay");
	send_text(&net->a, "and back");
	assert_int_equal(relay_pump(&net->a, &net->b), 1);
	expect_data(&deliveries[0], "and back");

	/* a initiates: b answers a relayed initiation; a's endpoint for b stays the configured
	 * one */
	wg_peer_expire_current_keypairs(net->a.peer);
	fake_env_advance_ms(&net->env, 100);
	send_text(&net->a, "again");
	assert_int_equal(relay_pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_HANDSHAKE);
	assert_false(net->b.peer->has_endpoint);
	assert_int_equal(relay_pump(&net->b, &net->a), 1);
	assert_true(netendpoint_equal(&net->a.peer->endpoint, &net->b.addr));
	assert_int_equal(relay_pump(&net->a, &net->b), 1);
	expect_data(&deliveries[0], "again");
	assert_int_equal(drops(&net->a, WG_DROP_NO_ENDPOINT), 0);
	assert_int_equal(drops(&net->b, WG_DROP_NO_ENDPOINT), 0);

	/* not relayed any more and no endpoint: nowhere to send */
	wg_peer_set_relayed(net->b.peer, false);
	wg_peer_expire_current_keypairs(net->b.peer);
	fake_env_advance_ms(&net->env, 100);
	assert_int_equal(wg_device_send(net->b.dev, net->b.peer, deliveries[0].buf, 40), -1);
	assert_int_equal(drops(&net->b, WG_DROP_NO_ENDPOINT), 1);
}

/* Under load, a relayed initiation without mac2 gets a cookie reply addressed to its relay
 * source; the retry's mac2 (made for that source) is accepted and the relay source is one
 * rate-limiter bucket. */
static void
test_relayed_cookie_under_load(void **state)
{
	struct net *net = *state;
	struct netendpoint b_source;
	struct wg_outbound out;
	struct delivery init;
	struct wg_rx_result result;
	uint8_t copy[WG_MSG_INITIATION_LEN];
	int i;

	wg_peer_set_relayed(net->a.peer, true);
	wg_peer_set_relayed(net->b.peer, true);
	wg_relay_source(&b_source, net->b.public_key);
	wg_device_set_handshake_queue_depth(net->a.dev, WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE);
	send_text(&net->b, "x");
	capture(&net->b, WG_MSG_INITIATION, &init);
	wg_device_receive(net->a.dev, &b_source, init.buf, init.len, &result);
	assert_int_equal(result.drop_reason, WG_DROP_NEEDS_COOKIE);
	assert_true(wg_device_pop_output(net->a.dev, &out));
	assert_int_equal(out.data[0], WG_MSG_COOKIE_REPLY);
	assert_null(out.peer);
	assert_true(netendpoint_equal(&out.to, &b_source));
	memcpy(init.buf, out.data, out.len);
	wg_device_receive(net->b.dev, &net->a.addr, init.buf, out.len, &result);
	assert_int_equal(result.verdict, WG_RX_HANDSHAKE);

	fake_env_advance_ms(&net->env, 5400);
	wg_device_run_timers(net->b.dev);
	capture(&net->b, WG_MSG_INITIATION, &init);
	for (i = 0; i < 6; i++) {
		memcpy(copy, init.buf, sizeof(copy));
		wg_device_receive(net->a.dev, &b_source, copy, sizeof(copy), &result);
	}
	/* as from a UDP source: 1 processed, 4 replays, then over the limit */
	assert_int_equal(wg_device_stats(net->a.dev)->initiations_received, 1);
	assert_int_equal(drops(&net->a, WG_DROP_TIMESTAMP_REPLAY), 4);
	assert_int_equal(drops(&net->a, WG_DROP_RATELIMITED), 1);
	assert_true(netendpoint_equal(&net->a.peer->endpoint, &net->b.addr));
}

/* Under load with a valid mac2, each source gets 5 handshake messages at once, then 20/s. */
static void
test_ratelimited_under_load(void **state)
{
	struct net *net = *state;
	struct delivery init;
	struct wg_rx_result result;
	int i;

	wg_device_set_handshake_queue_depth(net->b.dev, WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE);
	send_text(&net->a, "x");
	pump(&net->a, &net->b); /* cookie reply */
	pump(&net->b, &net->a);
	fake_env_advance_ms(&net->env, 5400);
	wg_device_run_timers(net->a.dev);
	capture(&net->a, WG_MSG_INITIATION, &init);
	for (i = 0; i < 6; i++) {
		uint8_t copy[WG_MSG_INITIATION_LEN];

		memcpy(copy, init.buf, sizeof(copy));
		wg_device_receive(net->b.dev, &net->a.addr, copy, sizeof(copy), &result);
	}
	/* 1: processed; 2-5: past the limiter, refused as replays; 6: over the limit */
	assert_int_equal(wg_device_stats(net->b.dev)->initiations_received, 1);
	assert_int_equal(drops(&net->b, WG_DROP_TIMESTAMP_REPLAY), 4);
	assert_int_equal(drops(&net->b, WG_DROP_RATELIMITED), 1);
	assert_int_equal(result.drop_reason, WG_DROP_RATELIMITED);
}

static void
expect_drop(struct node *n, const uint8_t *msg, size_t len, const struct node *from,
	    enum wg_drop_reason reason)
{
	uint8_t buf[BUF_SIZE];
	struct wg_rx_result result;
	uint64_t before = drops(n, reason);

	assert_true(len <= sizeof(buf));
	memcpy(buf, msg, len);
	wg_device_receive(n->dev, &from->addr, buf, len, &result);
	if (result.verdict != WG_RX_DROP || result.drop_reason != reason)
		fail_msg("want drop %s, got verdict %d reason %s", wg_drop_reason_name(reason),
			 result.verdict, wg_drop_reason_name(result.drop_reason));
	assert_int_equal(drops(n, reason), before + 1);
}

static void
test_wrong_lengths_and_types(void **state)
{
	static const struct {
		uint8_t type[4];
		size_t len;
		enum wg_drop_reason reason;
	} cases[] = {
		{ { 1, 0, 0, 0 }, 147, WG_DROP_BAD_LENGTH },
		{ { 1, 0, 0, 0 }, 149, WG_DROP_BAD_LENGTH },
		{ { 1, 0, 0, 0 }, 32, WG_DROP_BAD_LENGTH },
		{ { 2, 0, 0, 0 }, 91, WG_DROP_BAD_LENGTH },
		{ { 2, 0, 0, 0 }, 93, WG_DROP_BAD_LENGTH },
		{ { 3, 0, 0, 0 }, 63, WG_DROP_BAD_LENGTH },
		{ { 3, 0, 0, 0 }, 65, WG_DROP_BAD_LENGTH },
		{ { 4, 0, 0, 0 }, 31, WG_DROP_BAD_LENGTH },
		{ { 4, 0, 0, 0 }, 4, WG_DROP_BAD_LENGTH },
		{ { 0, 0, 0, 0 }, 148, WG_DROP_NOT_WIREGUARD },
		{ { 5, 0, 0, 0 }, 148, WG_DROP_NOT_WIREGUARD },
		{ { 1, 1, 0, 0 }, 148, WG_DROP_NOT_WIREGUARD },
		{ { 2, 0, 1, 0 }, 92, WG_DROP_NOT_WIREGUARD },
		{ { 4, 0, 0, 1 }, 64, WG_DROP_NOT_WIREGUARD },
		{ { 0xff, 0xff, 0xff, 0xff }, 64, WG_DROP_NOT_WIREGUARD },
		{ { 1, 0, 0, 0 }, 3, WG_DROP_NOT_WIREGUARD },
		{ { 0, 0, 0, 0 }, 0, WG_DROP_NOT_WIREGUARD },
	};
	struct net *net = *state;
	uint8_t buf[BUF_SIZE] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, cases[i].type, 4);
		expect_drop(&net->b, buf, cases[i].len, &net->a, cases[i].reason);
	}
}

/* Re-MAC a message after tampering, as an attacker who knows the public key can. */
static void
remac(struct net *net, struct node *to, uint8_t *msg, size_t len)
{
	struct cookie_maker maker;
	struct wg_crypto *crypto = wg_crypto_new();

	assert_non_null(crypto);
	assert_int_equal(cookie_maker_init(&maker, &net->env.env, crypto, to->public_key), 0);
	assert_int_equal(cookie_maker_add_macs(&maker, msg, len), 0);
	cookie_maker_wipe(&maker);
	wg_crypto_free(crypto);
}

static struct noise_remote *
craft_no_remote(void *arg, const uint8_t public_key[32])
{
	(void)arg;
	(void)public_key;
	return NULL;
}

static int
craft_index_new(void *arg, struct noise_remote *remote, uint32_t *index)
{
	(void)arg;
	(void)remote;
	*index = 0x5555;
	return 0;
}

static void
craft_index_bind(void *arg, uint32_t index, struct wg_keypair *kp)
{
	(void)arg;
	(void)index;
	(void)kp;
}

static void
craft_index_drop(void *arg, uint32_t index)
{
	(void)arg;
	(void)index;
}

static void
craft_retire(void *arg, struct wg_keypair *kp)
{
	(void)arg;
	wg_keypair_wipe(kp);
	noise_keypair_free(kp);
}

/* An initiation to `to` made with an arbitrary static private key (which may be to's own),
 * with valid MACs. */
static void
craft_initiation(struct net *net, const uint8_t private_key[32], const struct node *to,
		 uint8_t out[WG_MSG_INITIATION_LEN])
{
	const struct noise_upcalls upcalls = {
		.remote_get = craft_no_remote,
		.index_new = craft_index_new,
		.index_bind_keypair = craft_index_bind,
		.index_drop = craft_index_drop,
		.keypair_retire = craft_retire,
	};
	struct wg_crypto *crypto = wg_crypto_new();
	struct noise_local local;
	struct noise_remote remote;
	struct wg_msg_initiation msg;

	assert_non_null(crypto);
	assert_int_equal(noise_local_init(&local, &upcalls, &net->env.env, crypto), 0);
	/* the remote first, so that its self-key check does not stop a forged own key */
	assert_int_equal(noise_remote_init(&remote, &local, to->public_key, NULL), NOISE_OK);
	assert_int_equal(noise_local_set_private_key(&local, private_key), 0);
	noise_remote_precompute(&remote);
	assert_int_equal(noise_create_initiation(&remote, &msg), NOISE_OK);
	memcpy(out, &msg, sizeof(msg));
	remac(net, (struct node *)to, out, sizeof(msg));
	noise_remote_wipe(&remote);
	noise_local_wipe(&local);
	wg_crypto_free(crypto);
}

static void
test_hostile_initiations(void **state)
{
	struct net *net = *state;
	struct wg_peer *peer = net->a.peer;
	struct wg_msg_initiation first, second;
	struct wg_rx_result result;
	uint8_t buf[WG_MSG_INITIATION_LEN];
	uint8_t stranger[32];
	struct delivery init;
	uint8_t types[4];

	wg_device_initiate(net->a.dev, net->a.peer);
	capture(&net->a, WG_MSG_INITIATION, &init);
	/* bad mac1: a body byte, a mac1 byte */
	memcpy(buf, init.buf, sizeof(buf));
	buf[50] ^= 1;
	expect_drop(&net->b, buf, sizeof(buf), &net->a, WG_DROP_BAD_MAC1);
	memcpy(buf, init.buf, sizeof(buf));
	buf[116] ^= 1;
	expect_drop(&net->b, buf, sizeof(buf), &net->a, WG_DROP_BAD_MAC1);
	/* a corrupted field under a valid mac1 */
	memcpy(buf, init.buf, sizeof(buf));
	buf[100] ^= 1;
	remac(net, &net->b, buf, sizeof(buf));
	expect_drop(&net->b, buf, sizeof(buf), &net->a, WG_DROP_HANDSHAKE_DECRYPT);
	/* a low-order ephemeral key */
	memcpy(buf, init.buf, sizeof(buf));
	memset(buf + 8, 0, 32);
	remac(net, &net->b, buf, sizeof(buf));
	expect_drop(&net->b, buf, sizeof(buf), &net->a, WG_DROP_LOW_ORDER);
	/* the genuine one, then the same again: a replayed timestamp */
	memcpy(buf, init.buf, sizeof(buf));
	wg_device_receive(net->b.dev, &net->a.addr, buf, sizeof(buf), &result);
	assert_int_equal(result.verdict, WG_RX_HANDSHAKE);
	assert_int_equal(drain(&net->b, types, 4), 1);
	assert_int_equal(types[0], WG_MSG_RESPONSE);
	fake_env_advance_ms(&net->env, 1000);
	expect_drop(&net->b, init.buf, init.len, &net->a, WG_DROP_TIMESTAMP_REPLAY);
	/* two fresh initiations 10 ms apart (the wall clock moved 17 ms so the second timestamp is
	 * newer): the second is a flood */
	assert_int_equal(noise_create_initiation(&peer->remote, &first), NOISE_OK);
	assert_int_equal(cookie_maker_add_macs(&peer->cookie, (uint8_t *)&first, sizeof(first)), 0);
	net->env.realtime_ns += 17 * MS;
	net->env.monotonic_ns += 10 * MS;
	assert_int_equal(noise_create_initiation(&peer->remote, &second), NOISE_OK);
	assert_int_equal(cookie_maker_add_macs(&peer->cookie, (uint8_t *)&second, sizeof(second)),
			 0);
	net->env.realtime_ns -= 17 * MS;
	net->env.monotonic_ns -= 10 * MS;
	memcpy(buf, &first, sizeof(buf));
	wg_device_receive(net->b.dev, &net->a.addr, buf, sizeof(buf), &result);
	assert_int_equal(result.verdict, WG_RX_HANDSHAKE);
	net->env.monotonic_ns += 10 * MS;
	expect_drop(&net->b, (const uint8_t *)&second, sizeof(second), &net->a,
		    WG_DROP_INITIATION_FLOOD);
	/* B's own static key */
	craft_initiation(net, net->b.private_key, &net->b, buf);
	expect_drop(&net->b, buf, sizeof(buf), &net->a, WG_DROP_SELF_KEY);
	/* a key B does not know */
	randombytes_buf(stranger, sizeof(stranger));
	craft_initiation(net, stranger, &net->b, buf);
	expect_drop(&net->b, buf, sizeof(buf), &net->a, WG_DROP_UNKNOWN_PEER);
}

static void
test_hostile_responses_and_cookies(void **state)
{
	struct net *net = *state;
	struct delivery resp, data;
	struct wg_msg_cookie_reply cookie;
	struct wg_rx_result result;
	uint8_t buf[WG_MSG_RESPONSE_LEN];

	wg_device_initiate(net->a.dev, net->a.peer);
	assert_int_equal(pump(&net->a, &net->b), 1);
	capture(&net->b, WG_MSG_RESPONSE, &resp);
	/* bad mac1 */
	memcpy(buf, resp.buf, sizeof(buf));
	buf[20] ^= 1;
	expect_drop(&net->a, buf, sizeof(buf), &net->b, WG_DROP_BAD_MAC1);
	/* an index A never handed out */
	memcpy(buf, resp.buf, sizeof(buf));
	buf[8] ^= 0x5a;
	remac(net, &net->a, buf, sizeof(buf));
	expect_drop(&net->a, buf, sizeof(buf), &net->b, WG_DROP_UNKNOWN_INDEX);
	/* a corrupted empty payload */
	memcpy(buf, resp.buf, sizeof(buf));
	buf[50] ^= 1;
	remac(net, &net->a, buf, sizeof(buf));
	expect_drop(&net->a, buf, sizeof(buf), &net->b, WG_DROP_HANDSHAKE_DECRYPT);
	/* a low-order ephemeral key */
	memcpy(buf, resp.buf, sizeof(buf));
	memset(buf + 12, 0, 32);
	remac(net, &net->a, buf, sizeof(buf));
	expect_drop(&net->a, buf, sizeof(buf), &net->b, WG_DROP_LOW_ORDER);
	/* the genuine one; then again: its index now names a keypair, not a handshake */
	memcpy(buf, resp.buf, sizeof(buf));
	wg_device_receive(net->a.dev, &net->b.addr, buf, sizeof(buf), &result);
	assert_int_equal(result.verdict, WG_RX_HANDSHAKE);
	capture(&net->a, WG_MSG_TRANSPORT, &data); /* the confirming keepalive */
	assert_int_equal(data.len, 32);
	expect_drop(&net->a, resp.buf, resp.len, &net->b, WG_DROP_UNKNOWN_INDEX);
	/* cookie replies: to an unknown index, and undecryptable to a known one */
	memset(&cookie, 0, sizeof(cookie));
	cookie.type = htole32(WG_MSG_COOKIE_REPLY);
	cookie.receiver = htole32(0x12345678);
	expect_drop(&net->a, (const uint8_t *)&cookie, sizeof(cookie), &net->b,
		    WG_DROP_UNKNOWN_INDEX);
	/* the receiver field of B's response is A's index (now its keypair's) */
	memcpy(&cookie.receiver, resp.buf + 8, 4);
	expect_drop(&net->a, (const uint8_t *)&cookie, sizeof(cookie), &net->b,
		    WG_DROP_BAD_COOKIE_REPLY);
}

static void
test_hostile_transport(void **state)
{
	struct net *net = *state;
	struct delivery msg;
	struct wg_rx_result result;
	uint8_t buf[BUF_SIZE];
	uint8_t zeros[64] = { 0 };
	uint64_t counter;

	handshake_with_data(&net->a, &net->b);
	send_text(&net->a, "replay me");
	capture(&net->a, WG_MSG_TRANSPORT, &msg);
	/* an index nobody handed out */
	memcpy(buf, msg.buf, msg.len);
	buf[5] ^= 0xa5;
	expect_drop(&net->b, buf, msg.len, &net->a, WG_DROP_UNKNOWN_INDEX);
	/* a corrupted tag: refused, and no plaintext left behind */
	memcpy(buf, msg.buf, msg.len);
	buf[msg.len - 1] ^= 1;
	wg_device_receive(net->b.dev, &net->a.addr, buf, msg.len, &result);
	assert_int_equal(result.drop_reason, WG_DROP_TRANSPORT_AUTH);
	assert_memory_equal(buf + 16, zeros, msg.len - 32);
	/* counters at and beyond REJECT_AFTER_MESSAGES */
	memcpy(buf, msg.buf, msg.len);
	counter = htole64(WG_REJECT_AFTER_MESSAGES);
	memcpy(buf + 8, &counter, 8);
	expect_drop(&net->b, buf, msg.len, &net->a, WG_DROP_COUNTER_LIMIT);
	counter = htole64(UINT64_MAX);
	memcpy(buf + 8, &counter, 8);
	expect_drop(&net->b, buf, msg.len, &net->a, WG_DROP_COUNTER_LIMIT);
	/* the genuine one, then again */
	memcpy(buf, msg.buf, msg.len);
	wg_device_receive(net->b.dev, &net->a.addr, buf, msg.len, &result);
	expect_data(&(struct delivery){ .result = result }, "replay me");
	expect_drop(&net->b, msg.buf, msg.len, &net->a, WG_DROP_REPLAY);
	/* plaintext that is no IP packet, and an IPv4 header claiming more than there is */
	assert_int_equal(wg_device_send(net->a.dev, net->a.peer, (const uint8_t *)"garbage!", 8),
			 0);
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.drop_reason, WG_DROP_BAD_INNER_PACKET);
	ipv4_packet(buf, "short");
	buf[3] = 200;
	assert_int_equal(wg_device_send(net->a.dev, net->a.peer, buf, 25), 0);
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.drop_reason, WG_DROP_BAD_INNER_PACKET);
	/* an IPv6 packet is fine */
	memset(buf, 0, 48);
	buf[0] = 0x60;
	buf[5] = 8; /* payload length */
	memcpy(buf + 40, "ipv6 ok!", 8);
	assert_int_equal(wg_device_send(net->a.dev, net->a.peer, buf, 48), 0);
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_DATA);
	assert_int_equal(deliveries[0].result.len, 48);
	assert_memory_equal(deliveries[0].result.data + 40, "ipv6 ok!", 8);
	/* a keypair REJECT_AFTER_TIME old */
	send_text(&net->a, "too late");
	capture(&net->a, WG_MSG_TRANSPORT, &msg);
	fake_env_advance_ns(&net->env, 180 * SEC);
	expect_drop(&net->b, msg.buf, msg.len, &net->a, WG_DROP_KEYPAIR_EXPIRED);
}

static void
test_send_side_drops(void **state)
{
	struct net *net = *state;
	const struct wg_device_config config = { .env = &net->env.env };
	uint8_t packet[1500] = { 0x45 };
	uint8_t types[80];
	uint8_t key[32] = { 42 };
	struct wg_device *keyless;
	struct wg_peer *lonely;
	int i;

	/* larger than the MTU */
	assert_int_equal(wg_device_send(net->a.dev, net->a.peer, packet, 1421), -1);
	assert_int_equal(drops(&net->a, WG_DROP_TOO_BIG), 1);
	/* a peer without an endpoint */
	lonely = wg_device_add_peer(net->a.dev, key);
	assert_non_null(lonely);
	assert_int_equal(wg_device_send(net->a.dev, lonely, packet, 100), -1);
	assert_int_equal(drops(&net->a, WG_DROP_NO_ENDPOINT), 1);
	/* 33 packets while the handshake gets no answer: the oldest goes */
	for (i = 0; i < 33; i++)
		assert_int_equal(wg_device_send(net->a.dev, net->a.peer, packet, 100), 0);
	assert_int_equal(drops(&net->a, WG_DROP_STAGED_OVERFLOW), 1);
	assert_int_equal(drain(&net->a, types, 80), 1); /* one initiation, rate-limited after */
	assert_int_equal(types[0], WG_MSG_INITIATION);
	/* a device without a private key cannot start a handshake */
	keyless = wg_device_new(&config);
	assert_non_null(keyless);
	lonely = wg_device_add_peer(keyless, net->b.public_key);
	wg_peer_set_endpoint(lonely, &net->b.addr);
	assert_int_equal(wg_device_send(keyless, lonely, packet, 100), 0);
	assert_int_equal(wg_device_stats(keyless)->drops[WG_DROP_NO_IDENTITY], 1);
	wg_device_free(keyless);
}

static void
test_outbox_full(void **state)
{
	struct net *net = *state;
	uint8_t packet[64];
	size_t len = ipv4_packet(packet, "x");
	int i;

	handshake_with_data(&net->a, &net->b);
	for (i = 0; i < WG_DEVICE_OUTBOX_SIZE + 6; i++)
		assert_int_equal(wg_device_send(net->a.dev, net->a.peer, packet, len), 0);
	assert_int_equal(drops(&net->a, WG_DROP_OUTBOX_FULL), 6);
	assert_int_equal(pump(&net->a, &net->b), WG_DEVICE_OUTBOX_SIZE);
	assert_int_equal(deliveries[WG_DEVICE_OUTBOX_SIZE - 1].result.verdict, WG_RX_DATA);
}

static void
test_peers(void **state)
{
	struct net *net = *state;
	uint8_t keys[7][32];
	struct wg_peer *p;
	int i, n;

	/* duplicates and our own key are refused */
	assert_null(wg_device_add_peer(net->a.dev, net->b.public_key));
	assert_null(wg_device_add_peer(net->a.dev, net->a.public_key));
	/* max_peers is 8: 7 more fit */
	for (i = 0; i < 7; i++) {
		randombytes_buf(keys[i], 32);
		assert_non_null(wg_device_add_peer(net->a.dev, keys[i]));
	}
	assert_null(wg_device_add_peer(net->a.dev,
				       (const uint8_t *)"another key of 32 bytes........."));
	assert_int_equal(wg_device_peer_count(net->a.dev), 8);
	for (n = 0, p = wg_device_next_peer(net->a.dev, NULL); p != NULL;
	     p = wg_device_next_peer(net->a.dev, p))
		n++;
	assert_int_equal(n, 8);
	p = wg_device_find_peer(net->a.dev, keys[3]);
	assert_non_null(p);
	assert_memory_equal(wg_peer_public_key(p), keys[3], 32);
	wg_device_remove_peer(net->a.dev, p);
	assert_null(wg_device_find_peer(net->a.dev, keys[3]));
	assert_int_equal(wg_device_peer_count(net->a.dev), 7);
	/* taking a peer's private key as our own removes that peer */
	assert_int_equal(wg_device_set_private_key(net->a.dev, net->b.private_key), 0);
	assert_null(wg_device_find_peer(net->a.dev, net->b.public_key));
	assert_int_equal(wg_device_peer_count(net->a.dev), 6);
	assert_int_equal(wg_device_set_private_key(net->a.dev, NULL), 0);
	assert_null(wg_device_public_key(net->a.dev));
	net->a.peer = NULL;
}

static void
test_private_key_changes(void **state)
{
	struct net *net = *state;
	uint8_t other[32];
	uint8_t types[8];

	handshake_with_data(&net->a, &net->b);
	/* the same key again (unclamped bits differ) keeps the session */
	net->a.private_key[0] |= 7;
	assert_int_equal(wg_device_set_private_key(net->a.dev, net->a.private_key), 0);
	send_text(&net->a, "still here");
	assert_int_equal(pump(&net->a, &net->b), 1);
	expect_data(&deliveries[0], "still here");
	/* a new key: the sessions made with the old one stop sending, a handshake follows */
	randombytes_buf(other, sizeof(other));
	assert_int_equal(wg_device_set_private_key(net->a.dev, other), 0);
	fake_env_advance_ns(&net->env, 5 * SEC);
	send_text(&net->a, "new key");
	assert_int_equal(drain(&net->a, types, 8), 1);
	assert_int_equal(types[0], WG_MSG_INITIATION);
}

/* ---- Timer rules through the device ---- */

/* The responder sends no data on a new keypair before the first data packet arrives on it. */
static void
test_responder_waits_for_data(void **state)
{
	struct net *net = *state;
	uint8_t types[8];

	wg_device_initiate(net->a.dev, net->a.peer);
	assert_int_equal(pump(&net->a, &net->b), 1);
	send_text(&net->b, "waits");
	/* only the response: the data is staged and no initiation of its own (rate limit) */
	assert_int_equal(pump(&net->b, &net->a), 1);
	assert_int_equal(deliveries[0].len, WG_MSG_RESPONSE_LEN);
	/* A confirms with a keepalive; then B's data goes out */
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_KEEPALIVE);
	assert_int_equal(pump(&net->b, &net->a), 1);
	expect_data(&deliveries[0], "waits");
	assert_int_equal(drain(&net->a, types, 8), 0);
}

static void
test_passive_keepalive(void **state)
{
	struct net *net = *state;
	uint64_t start;
	uint8_t types[8];

	handshake_with_data(&net->a, &net->b);
	send_text(&net->a, "one way");
	start = net->env.monotonic_ns;
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_true(wg_device_next_deadline(net->b.dev) <= start + 10 * SEC);
	fake_env_advance_ns(&net->env, 10 * SEC - 1);
	wg_device_run_timers(net->b.dev);
	assert_int_equal(drain(&net->b, types, 8), 0);
	fake_env_advance_ns(&net->env, 1);
	wg_device_run_timers(net->b.dev);
	assert_int_equal(pump(&net->b, &net->a), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_KEEPALIVE);
	assert_int_equal(wg_device_stats(net->b.dev)->keepalives_sent, 1);
}

static void
test_new_handshake_after_silence(void **state)
{
	struct net *net = *state;
	uint8_t types[8];

	handshake_with_data(&net->a, &net->b);
	send_text(&net->a, "anyone?");
	assert_int_equal(pump(&net->a, &net->b), 1);
	drain(&net->b, types, 8);
	/* B's passive keepalive is lost too; 15 s (+ jitter) after sending, A re-handshakes */
	fake_env_advance_ns(&net->env, 15 * SEC - 1);
	wg_device_run_timers(net->a.dev);
	assert_int_equal(drain(&net->a, types, 8), 0);
	fake_env_advance_ns(&net->env, 334 * MS);
	wg_device_run_timers(net->a.dev);
	assert_int_equal(drain(&net->a, types, 8), 1);
	assert_int_equal(types[0], WG_MSG_INITIATION);
}

static void
test_rekey_after_time_on_send(void **state)
{
	struct net *net = *state;
	uint8_t types[8];

	handshake_with_data(&net->a, &net->b);
	fake_env_advance_ns(&net->env, 120 * SEC);
	/* the responder does not rekey by age */
	send_text(&net->b, "from the responder");
	assert_int_equal(drain(&net->b, types, 8), 1);
	assert_int_equal(types[0], WG_MSG_TRANSPORT);
	/* the initiator does, and the data still goes on the old keypair */
	send_text(&net->a, "from the initiator");
	assert_int_equal(drain(&net->a, types, 8), 2);
	assert_int_equal(types[0], WG_MSG_TRANSPORT);
	assert_int_equal(types[1], WG_MSG_INITIATION);
}

static void
test_rekey_on_receive_at_165s(void **state)
{
	struct net *net = *state;
	uint8_t types[8];

	handshake_with_data(&net->a, &net->b);
	fake_env_advance_ns(&net->env, 165 * SEC);
	send_text(&net->b, "late");
	assert_int_equal(pump(&net->b, &net->a), 1);
	expect_data(&deliveries[0], "late");
	assert_int_equal(drain(&net->a, types, 8), 1);
	assert_int_equal(types[0], WG_MSG_INITIATION);
	/* once only */
	fake_env_advance_ns(&net->env, 6 * SEC);
	send_text(&net->b, "later");
	assert_int_equal(pump(&net->b, &net->a), 1);
	assert_int_equal(drain(&net->a, types, 8), 0);
}

static void
test_reject_after_time_on_send(void **state)
{
	struct net *net = *state;
	uint8_t types[8];

	handshake_with_data(&net->a, &net->b);
	fake_env_advance_ns(&net->env, 180 * SEC);
	send_text(&net->a, "stale key");
	assert_int_equal(drain(&net->a, types, 8), 1);
	assert_int_equal(types[0], WG_MSG_INITIATION);
	assert_int_equal(net->a.peer->staged.count, 1);
}

static void
test_rekey_after_messages(void **state)
{
	struct net *net = *state;
	struct wg_keypair *kp;
	uint8_t types[8];

	handshake_with_data(&net->a, &net->b);
	kp = net->b.peer->remote.keypair_current;
	/* past the one-initiation-per-5-s limit that B's response started */
	fake_env_advance_ns(&net->env, 5 * SEC);
	atomic_store(&kp->send_counter, WG_REKEY_AFTER_MESSAGES + 1);
	send_text(&net->b, "many");
	assert_int_equal(drain(&net->b, types, 8), 2);
	assert_int_equal(types[0], WG_MSG_TRANSPORT);
	assert_int_equal(types[1], WG_MSG_INITIATION);
	/* exhausted: nothing more is sent on it, the packet waits for the new session */
	fake_env_advance_ns(&net->env, 6 * SEC);
	atomic_store(&kp->send_counter, WG_REJECT_AFTER_MESSAGES);
	send_text(&net->b, "exhausted");
	assert_int_equal(drain(&net->b, types, 8), 1);
	assert_int_equal(types[0], WG_MSG_INITIATION);
	assert_int_equal(net->b.peer->staged.count, 1);
}

static void
test_zero_keys_after_540s(void **state)
{
	struct net *net = *state;

	handshake_with_data(&net->a, &net->b);
	assert_non_null(net->a.peer->remote.keypair_current);
	fake_env_advance_ns(&net->env, 540 * SEC - 1);
	wg_device_run_timers(net->a.dev);
	assert_non_null(net->a.peer->remote.keypair_current);
	fake_env_advance_ns(&net->env, 1);
	wg_device_run_timers(net->a.dev);
	wg_device_run_timers(net->b.dev);
	assert_null(net->a.peer->remote.keypair_current);
	assert_null(net->a.peer->remote.keypair_previous);
	assert_null(net->b.peer->remote.keypair_current);
}

static void
test_give_up_after_20_tries(void **state)
{
	struct net *net = *state;
	uint8_t types[8];
	unsigned initiations = 0;
	uint64_t start = net->env.monotonic_ns;

	send_text(&net->a, "nobody home");
	initiations += drain(&net->a, types, 8);
	while (net->env.monotonic_ns - start < 200 * SEC) {
		uint64_t d = wg_device_next_deadline(net->a.dev);

		if (d == UINT64_MAX || d - start > 200 * SEC)
			break;
		fake_env_advance_ns(&net->env, d - net->env.monotonic_ns);
		wg_device_run_timers(net->a.dev);
		initiations += drain(&net->a, types, 8);
	}
	assert_int_equal(initiations, 20);
	assert_int_equal(drops(&net->a, WG_DROP_HANDSHAKE_GAVE_UP), 1);
	assert_int_equal(net->a.peer->staged.count, 0);
}

static void
test_persistent_keepalive(void **state)
{
	struct net *net = *state;

	handshake_with_data(&net->a, &net->b);
	wg_peer_set_persistent_keepalive(net->a.peer, 25);
	wg_device_run_timers(net->a.dev);
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_KEEPALIVE);
	fake_env_advance_ns(&net->env, 25 * SEC - 1);
	wg_device_run_timers(net->a.dev);
	assert_int_equal(pump(&net->a, &net->b), 0);
	fake_env_advance_ns(&net->env, 1);
	wg_device_run_timers(net->a.dev);
	assert_int_equal(pump(&net->a, &net->b), 1);
	assert_int_equal(deliveries[0].result.verdict, WG_RX_KEEPALIVE);
}

static void
test_drop_reason_names(void **state)
{
	int i;

	(void)state;
	assert_string_equal(wg_drop_reason_name(WG_DROP_REPLAY_CONTENDED), "replay_contended");
	assert_string_equal(wg_drop_reason_name(WG_DROP_BAD_MAC1), "bad_mac1");
	assert_string_equal(wg_drop_reason_name(WG_DROP_REASON_COUNT), "unknown");
	for (i = 0; i < WG_DROP_REASON_COUNT; i++)
		assert_true(strlen(wg_drop_reason_name(i)) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psk_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratelimited_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relayed_handshakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relayed_cookie_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_lengths_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_initiations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_responses_and_cookies, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_side_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_key_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_waits_for_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_handshake_after_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_after_time_on_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_on_receive_at_165s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_after_time_on_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_after_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_keys_after_540s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_up_after_20_tries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_keepalive, setup, teardown),
		cmocka_unit_test(test_drop_reason_names),
	};

	return cmocka_run_group_tests_name("wg_device", tests, NULL, NULL);
}
