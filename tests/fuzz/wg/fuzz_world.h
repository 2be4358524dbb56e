/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The world the WireGuard device fuzzer feeds datagrams into, shared with the program that
 * makes its seed corpus: device A (under test) and its one known peer B, on a fake clock and a
 * seeded random source, so that every reset gives A exactly the same state: a confirmed session
 * with B (B initiated it) and an initiation of A's own waiting for B's response. The seed
 * corpus holds valid messages for that state (an initiation and data from B, the response and a
 * cookie reply to A's initiation).
 */
#ifndef EXITGATE_TESTS_FUZZ_WG_WORLD_H
#define EXITGATE_TESTS_FUZZ_WG_WORLD_H

#include <stdint.h>

#include "device.h"
#include "fake_env.h"

struct fuzz_world {
	struct fake_env env;
	struct wg_device *a;
	struct wg_device *b;
	struct wg_peer *a_peer; /* B, as A knows it */
	struct wg_peer *b_peer; /* A, as B knows it */
	struct netendpoint a_addr;
	struct netendpoint b_addr;
	uint8_t a_initiation[WG_MSG_INITIATION_LEN]; /* A's pending initiation, as sent */
};

/* 0, or -1 when the devices cannot be made. */
int fuzz_world_create(struct fuzz_world *w);
void fuzz_world_destroy(struct fuzz_world *w);
/* Back to the state described above; aborts if the handshake does not work. */
void fuzz_world_reset(struct fuzz_world *w);
/* Deliver everything in from's outbox to to (from_addr as the source). */
void fuzz_world_pump(struct wg_device *from, const struct netendpoint *from_addr,
		     struct wg_device *to);
/* Discard everything in a device's outbox. */
void fuzz_world_drain(struct wg_device *dev);

#endif
