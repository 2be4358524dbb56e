/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path selection between two real path modules (control/path) on one real control loop, joined
 * by a simulated network the test controls: DERP always delivers (it is the relay), UDP only
 * while the test lets it. Checked: two nodes configured only by their WireGuard keys learn each
 * other's disco keys from a Hello over DERP; the route starts on the relay and becomes direct
 * once a ping is answered; a direct path that goes silent under traffic is probed and left for
 * the relay within the failover time; a pong on it takes it back; disco from strangers, garbage
 * and pinned peers is dropped and counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "config.h"
#include "loop.h"
#include "path.h"
#include "path_internal.h"
#include "strbuf.h"

struct node {
	const char *name;
	struct config *config;
	struct path *path;
	struct path_peer *peer;     /* its one peer */
	uint8_t private_key[32];
	uint8_t public_key[32];
	struct netendpoint address; /* where its UDP comes from */
	struct path_route route;
	unsigned int routes;        /* route_changed calls */
	struct node *other;
};

static struct loop *loop;
static bool udp_open = true;

/* The network: what was sent is delivered at the loop's next turn, as a real one would (never
 * from within the sender's own call). */
struct packet {
	struct node *to;
	struct node *from;
	bool derp;
	size_t len;
	uint8_t data[DISCO_FRAME_MAX];
};
static struct packet queue[256];
static size_t queued;
static int network_timer = -1;

static void
send_packet(struct node *from, bool derp, const uint8_t *data, size_t len)
{
	struct packet *p;

	if (queued == sizeof(queue) / sizeof(queue[0]) || len > sizeof(p->data))
		return; /* a full network drops */
	p = &queue[queued++];
	p->to = from->other;
	p->from = from;
	p->derp = derp;
	p->len = len;
	memcpy(p->data, data, len);
	loop_timer_at(loop, network_timer, loop_now());
}

static uint64_t
network_deliver(struct loop *l, uint64_t now, void *arg)
{
	static struct packet batch[256];
	size_t n = queued;

	(void)l;
	(void)now;
	(void)arg;
	memcpy(batch, queue, n * sizeof(batch[0]));
	queued = 0;
	for (size_t i = 0; i < n; i++) {
		struct packet *p = &batch[i];

		if (p->derp)
			path_derp_input(p->to->path, p->from->public_key, p->data, p->len);
		else
			path_udp_input(p->to->path, &p->from->address, p->data, p->len);
	}
	return LOOP_NEVER;
}

static void
hook_send_udp(void *ctx, const struct netendpoint *dst, const uint8_t *data, size_t len)
{
	struct node *n = ctx;

	/* to whoever owns dst, while UDP is open */
	if (udp_open && netendpoint_equal(dst, &n->other->address))
		send_packet(n, false, data, len);
}

static int
hook_send_derp(void *ctx, const uint8_t key[32], const uint8_t *data, size_t len)
{
	struct node *n = ctx;

	if (memcmp(key, n->other->public_key, 32) == 0)
		send_packet(n, true, data, len);
	return 0;
}

static void
hook_route_changed(void *ctx, void *peer_user, const struct path_route *route)
{
	struct node *n = ctx;

	assert_ptr_equal(peer_user, n);
	n->route = *route;
	n->routes++;
}

static uint32_t
hook_relay_home(void *ctx, bool *connected)
{
	(void)ctx;
	*connected = true;
	return 900;
}

static uint32_t
hook_relay_region_of(void *ctx, const uint8_t key[32])
{
	(void)ctx;
	(void)key;
	return 900;
}

static void
node_init(struct node *n, const char *name, const char *address)
{
	char yaml[1024], error[CONFIG_ERROR_MAX], b64[KEY_BASE64_LEN + 1];
	const char *why;

	memset(n, 0, sizeof(*n));
	n->name = name;
	crypto_box_keypair(n->public_key, n->private_key);
	key_to_base64(b64, n->private_key);
	snprintf(yaml, sizeof(yaml),
		 "node: {private_key: \"%s\"}\n"
		 "ports:\n  public: {device: net_null0, addresses: [%s/24]}\n"
		 "derp:\n  regions:\n    - region_id: 900\n      region_code: lab\n"
		 "      nodes: [{name: r, host_name: derp.lab, ipv4: 192.0.2.1, stun_port: -1}]\n",
		 b64, address);
	n->config = config_load_buffer("t.yaml", yaml, strlen(yaml), error, sizeof(error));
	assert_non_null(n->config);
	assert_int_equal(netaddr_parse(address, &n->address.addr, &why), 0);
	n->address.port = 41641;
}

static void
node_start(struct node *n)
{
	struct path_config pc = {
		.loop = loop,
		.config = n->config,
		.public_addresses = n->config->ports[CONFIG_PORT_PUBLIC].addresses,
		.public_address_count = n->config->ports[CONFIG_PORT_PUBLIC].address_count,
		.hooks = {
			.ctx = n,
			.send_udp = hook_send_udp,
			.send_derp = hook_send_derp,
			.route_changed = hook_route_changed,
			.relay_home = hook_relay_home,
			.relay_region_of = hook_relay_region_of,
		},
	};
	struct path_peer_config peer = {.name = n->other->name, .pin = CONFIG_PATH_AUTO,
					.exitgate = true};

	memcpy(pc.node_private_key, n->private_key, 32);
	n->path = path_create(&pc);
	assert_non_null(n->path);
	memcpy(peer.node_key, n->other->public_key, 32);
	n->peer = path_peer_add(n->path, &peer, n);
	assert_non_null(n->peer);
}

static uint64_t
stop_timer(struct loop *l, uint64_t now, void *arg)
{
	(void)now;
	(void)arg;
	loop_stop(l);
	return LOOP_NEVER;
}

/* Run the loop (both modules' timers) for ms milliseconds. */
static void
run_for(unsigned int ms)
{
	int t = loop_add_timer(loop, stop_timer, NULL, loop_now() + ms * 1000000ull);

	assert_true(t >= 0);
	assert_int_equal(loop_run(loop), 0);
	loop_del_timer(loop, t);
}

/* Traffic as the workers would report it: sent now, and heard back by UDP when open. */
static void
traffic(struct node *n, bool heard)
{
	struct path_activity a = n->peer->activity;
	uint64_t now = loop_now();

	a.last_tx_data_ns = now;
	if (heard) {
		a.last_rx_ns = now;
		a.last_rx_udp_ns = now;
	}
	path_peer_activity(n->peer, &a);
}

static struct node a, b;

static int
setup(void **state)
{
	(void)state;
	loop = loop_create();
	assert_non_null(loop);
	network_timer = loop_add_timer(loop, network_deliver, NULL, LOOP_NEVER);
	assert_true(network_timer >= 0);
	queued = 0;
	udp_open = true;
	node_init(&a, "a", "10.0.1.10");
	node_init(&b, "b", "10.0.2.10");
	a.other = &b;
	b.other = &a;
	node_start(&a);
	node_start(&b);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	path_destroy(a.path);
	path_destroy(b.path);
	config_free(a.config);
	config_free(b.config);
	loop_destroy(loop);
	return 0;
}

static void
test_relay_then_direct(void **state)
{
	(void)state;
	/* no endpoint and no disco key: the relay is the only way */
	assert_true(a.route.relay && !a.route.udp);
	assert_int_equal(path_peer_kind(a.peer), PATH_KIND_RELAY);
	/* Hellos go over DERP at the first timer turn; the keys are learnt on both sides */
	traffic(&a, false);
	run_for(300);
	assert_true(a.peer->has_disco_key && b.peer->has_disco_key);
	assert_memory_equal(a.peer->disco_key, path_disco_public_key(b.path), 32);
	assert_memory_equal(b.peer->disco_key, path_disco_public_key(a.path), 32);
	assert_true(a.path->counters[PC_disco_keys_learnt] == 1);
	/* with traffic, a pings b's endpoints (from b's Hello): the pong makes it direct */
	traffic(&a, true);
	traffic(&b, true);
	run_for(500);
	assert_int_equal(path_peer_kind(a.peer), PATH_KIND_DIRECT);
	assert_true(netendpoint_equal(&a.route.endpoint, &b.address));
	assert_int_equal(path_peer_kind(b.peer), PATH_KIND_DIRECT);
	assert_true(a.path->counters[PC_direct_upgrades] >= 1);
}

static void
test_failover_and_back(void **state)
{
	uint64_t t0;

	(void)state;
	traffic(&a, false);
	run_for(300);
	traffic(&a, true);
	traffic(&b, true);
	run_for(500);
	assert_int_equal(path_peer_kind(a.peer), PATH_KIND_DIRECT);
	/* the direct path dies under traffic: data out, nothing back */
	udp_open = false;
	t0 = loop_now();
	while (path_peer_kind(a.peer) != PATH_KIND_RELAY && loop_now() - t0 < 3000000000ull) {
		traffic(&a, false);
		run_for(100);
	}
	assert_int_equal(path_peer_kind(a.peer), PATH_KIND_RELAY);
	/* within the failover time (silence + probe), with the 100 ms reporting of the workers */
	assert_true(loop_now() - t0 <=
		    (PATH_FAILOVER_SILENCE_MS + PATH_FAILOVER_PROBE_MS + 300) * 1000000ull);
	assert_true(a.path->counters[PC_failovers] == 1);
	/* the path comes back: a heartbeat's pong takes it back */
	udp_open = true;
	t0 = loop_now();
	while (path_peer_kind(a.peer) != PATH_KIND_DIRECT && loop_now() - t0 < 8000000000ull) {
		traffic(&a, true);
		run_for(200);
	}
	assert_int_equal(path_peer_kind(a.peer), PATH_KIND_DIRECT);
}

static void
test_hostile_disco(void **state)
{
	uint8_t frame[DISCO_FRAME_MAX], stranger_pub[32], stranger_priv[32], shared[32];
	struct disco_message m = {.type = DISCO_PING};
	struct netendpoint src = b.address;
	uint64_t before;
	int len;

	(void)state;
	traffic(&a, false);
	run_for(300);
	/* disco over UDP from a disco key no peer has */
	crypto_box_keypair(stranger_pub, stranger_priv);
	assert_int_equal(disco_shared_key(shared, stranger_priv, path_disco_public_key(a.path)), 0);
	len = disco_seal(frame, sizeof(frame), stranger_pub, shared, &m);
	assert_true(len > 0);
	before = a.path->counters[PC_disco_drop_unknown_key];
	path_udp_input(a.path, &src, frame, (size_t)len);
	assert_int_equal(a.path->counters[PC_disco_drop_unknown_key], before + 1);
	/* ... over DERP from a node key that is no peer */
	before = a.path->counters[PC_disco_drop_unknown_node];
	assert_true(path_derp_input(a.path, stranger_pub, frame, (size_t)len));
	assert_int_equal(a.path->counters[PC_disco_drop_unknown_node], before + 1);
	/* a peer's own disco key with a broken box */
	assert_int_equal(disco_shared_key(shared, stranger_priv, path_disco_public_key(a.path)), 0);
	len = disco_seal(frame, sizeof(frame), path_disco_public_key(b.path), shared, &m);
	before = a.path->counters[PC_disco_drop_bad_box];
	path_udp_input(a.path, &src, frame, (size_t)len);
	assert_int_equal(a.path->counters[PC_disco_drop_bad_box], before + 1);
	/* not disco at all over DERP: left for WireGuard */
	assert_false(path_derp_input(a.path, b.public_key, (const uint8_t *)"\x04\0\0\0", 4));
	/* STUN answers for nobody's request */
	{
		static const uint8_t stun[] = {0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42,
					       1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					       0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0x34, 0x56,
					       1, 2, 3, 4};

		before = a.path->counters[PC_stun_drop_unknown_txid];
		path_udp_input(a.path, &src, stun, sizeof(stun));
		assert_int_equal(a.path->counters[PC_stun_drop_unknown_txid], before + 1);
	}
}

static void
test_pinned_and_status(void **state)
{
	struct path_peer_config pc = {.name = "b", .pin = CONFIG_PATH_RELAY, .exitgate = true};
	struct strbuf out;

	(void)state;
	memcpy(pc.node_key, b.public_key, 32);
	path_peer_update(a.peer, &pc);
	assert_true(a.route.relay && !a.route.udp);
	pc.pin = CONFIG_PATH_DIRECT;
	pc.has_endpoint = true;
	pc.endpoint = b.address;
	path_peer_update(a.peer, &pc);
	assert_true(a.route.udp && !a.route.relay);
	assert_true(netendpoint_equal(&a.route.endpoint, &b.address));
	/* WireGuard roaming moves a pinned-direct peer to where it was heard last */
	{
		struct netendpoint moved = b.address;

		moved.port = 5000;
		path_peer_heard(a.peer, &moved, loop_now());
		assert_int_equal(a.route.endpoint.port, 5000);
	}
	strbuf_init(&out, 1 << 16);
	path_peer_describe(a.path, a.peer, &out, false);
	assert_non_null(strstr(out.data, "direct 10.0.2.10:5000"));
	strbuf_reset(&out);
	path_why(a.path, a.peer, &out, false);
	assert_non_null(strstr(out.data, "pinned"));
	strbuf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay_then_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_disco, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned_and_status, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
