/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "fuzz_world.h"

static const uint8_t a_private[32] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};
static const uint8_t b_private[32] = {
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
};

int
fuzz_world_create(struct fuzz_world *w)
{
	const struct wg_device_config config = { .env = &w->env.env, .max_peers = 4 };
	const char *why;

	memset(w, 0, sizeof(*w));
	fake_env_init(&w->env, 0x42);
	w->a = wg_device_new(&config);
	w->b = wg_device_new(&config);
	if (w->a == NULL || w->b == NULL || wg_device_set_private_key(w->a, a_private) != 0 ||
	    wg_device_set_private_key(w->b, b_private) != 0 ||
	    netendpoint_parse("192.0.2.1:51820", &w->a_addr, &why) != 0 ||
	    netendpoint_parse("198.51.100.2:41641", &w->b_addr, &why) != 0) {
		fuzz_world_destroy(w);
		return -1;
	}
	return 0;
}

void
fuzz_world_destroy(struct fuzz_world *w)
{
	wg_device_free(w->a);
	wg_device_free(w->b);
	memset(w, 0, sizeof(*w));
}

void
fuzz_world_pump(struct wg_device *from, const struct netendpoint *from_addr, struct wg_device *to)
{
	static uint8_t buf[WG_MSG_MAX_LEN];
	struct wg_outbound out;
	struct wg_rx_result result;

	while (wg_device_pop_output(from, &out)) {
		memcpy(buf, out.data, out.len);
		wg_device_receive(to, from_addr, buf, out.len, &result);
	}
}

void
fuzz_world_drain(struct wg_device *dev)
{
	struct wg_outbound out;

	while (wg_device_pop_output(dev, &out))
		;
}

void
fuzz_world_reset(struct fuzz_world *w)
{
	struct wg_outbound out;

	fake_env_init(&w->env, 0x42);
	if (w->a_peer != NULL)
		wg_device_remove_peer(w->a, w->a_peer);
	if (w->b_peer != NULL)
		wg_device_remove_peer(w->b, w->b_peer);
	wg_device_set_handshake_queue_depth(w->a, 0);
	wg_device_set_handshake_queue_depth(w->b, 0);
	fuzz_world_drain(w->a);
	fuzz_world_drain(w->b);
	w->a_peer = wg_device_add_peer(w->a, wg_device_public_key(w->b));
	w->b_peer = wg_device_add_peer(w->b, wg_device_public_key(w->a));
	if (w->a_peer == NULL || w->b_peer == NULL)
		abort();
	wg_peer_set_endpoint(w->a_peer, &w->b_addr);
	wg_peer_set_endpoint(w->b_peer, &w->a_addr);
	/* B initiates; A answers; B's keepalive confirms the session at A */
	wg_device_initiate(w->b, w->b_peer);
	fuzz_world_pump(w->b, &w->b_addr, w->a);
	fuzz_world_pump(w->a, &w->a_addr, w->b);
	fuzz_world_pump(w->b, &w->b_addr, w->a);
	if (w->a_peer->remote.keypair_current == NULL)
		abort();
	/* past A's one-initiation-per-5-s limit (its response counted), A starts its own */
	fake_env_advance_ms(&w->env, 6000);
	wg_device_initiate(w->a, w->a_peer);
	if (!wg_device_pop_output(w->a, &out) || out.len != WG_MSG_INITIATION_LEN)
		abort();
	memcpy(w->a_initiation, out.data, out.len);
	fuzz_world_drain(w->a);
}
