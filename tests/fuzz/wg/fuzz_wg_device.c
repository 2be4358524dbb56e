/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one datagram into a WireGuard device that has one known peer, a confirmed
 * session and a handshake in flight (fuzz_world.h), through every parser and state check of
 * message types 1-4; then the same datagram again with the device under load (mac2, cookie
 * replies, the rate limiter).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
feed(struct fuzz_world *w, const uint8_t *data, size_t size)
{
	/* an exactly sized copy, so that any read past the end is caught */
	uint8_t *buf = malloc(size != 0 ? size : 1);
	struct wg_rx_result result;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	wg_device_receive(w->a, &w->b_addr, buf, size, &result);
	if (result.verdict == WG_RX_DATA &&
	    (result.data < buf || result.data + result.len > buf + size || result.peer == NULL))
		abort();
	if (result.verdict == WG_RX_DROP && result.drop_reason >= WG_DROP_REASON_COUNT)
		abort();
	free(buf);
	/* whatever A answered goes to B, and B's answers back: replies are parsed too */
	fuzz_world_pump(w->a, &w->a_addr, w->b);
	fuzz_world_drain(w->b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_world world;
	static int ready;

	if (!ready) {
		if (fuzz_world_create(&world) != 0)
			abort();
		ready = 1;
	}
	if (size > WG_MSG_MAX_LEN)
		return 0;
	fuzz_world_reset(&world);
	feed(&world, data, size);
	wg_device_set_handshake_queue_depth(world.a, WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE);
	feed(&world, data, size);
	wg_device_set_handshake_queue_depth(world.a, 0);
	/* and let time pass: timers act on whatever state the datagram left */
	fake_env_advance_ms(&world.env, 200000);
	wg_device_run_timers(world.a);
	fuzz_world_drain(world.a);
	return 0;
}
