/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the seed corpus of fuzz_wg_device: valid messages for the state fuzz_world_reset()
 * gives device A. Run it (from the fuzz tree) whenever that state or the wire format changes:
 *   build-fuzz/tests/fuzz/wg/wg_make_corpus tests/fuzz/wg/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_world.h"

static int
write_file(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "wg_make_corpus: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Take one datagram out of dev's outbox, of the given type, into a file. */
static int
write_output(struct wg_device *dev, uint8_t type, const char *dir, const char *name)
{
	struct wg_outbound out;

	if (!wg_device_pop_output(dev, &out) || out.data[0] != type) {
		fprintf(stderr, "wg_make_corpus: %s: no message of type %u\n", name, type);
		return -1;
	}
	return write_file(dir, name, out.data, out.len);
}

int
main(int argc, char **argv)
{
	static const uint8_t ping[28] = {
		0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x0a, 0x63,
		0x00, 0x02, 0x0a, 0x63, 0x00, 0x01, 0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00,
	};
	struct fuzz_world w;
	struct wg_rx_result result;
	uint8_t buf[WG_MSG_INITIATION_LEN];
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: wg_make_corpus DIR\n");
		return 2;
	}
	if (fuzz_world_create(&w) != 0)
		return 1;
	fuzz_world_reset(&w);
	/* data and a keepalive from B on the session A confirmed */
	if (wg_device_send(w.b, w.b_peer, ping, sizeof(ping)) != 0)
		rc = 1;
	rc |= write_output(w.b, WG_MSG_TRANSPORT, argv[1], "transport_data") != 0;
	wg_device_send_keepalive(w.b, w.b_peer);
	rc |= write_output(w.b, WG_MSG_TRANSPORT, argv[1], "transport_keepalive") != 0;
	/* a new initiation from B (its own limit has passed, the timestamp is newer) */
	wg_device_initiate(w.b, w.b_peer);
	rc |= write_output(w.b, WG_MSG_INITIATION, argv[1], "initiation") != 0;
	/* a cookie reply to A's pending initiation, from B under load */
	wg_device_set_handshake_queue_depth(w.b, WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE);
	memcpy(buf, w.a_initiation, sizeof(buf));
	wg_device_receive(w.b, &w.a_addr, buf, sizeof(buf), &result);
	rc |= write_output(w.b, WG_MSG_COOKIE_REPLY, argv[1], "cookie_reply") != 0;
	/* and B's response to it, once B is no longer under load */
	wg_device_set_handshake_queue_depth(w.b, 0);
	fake_env_advance_ms(&w.env, 1000);
	memcpy(buf, w.a_initiation, sizeof(buf));
	wg_device_receive(w.b, &w.a_addr, buf, sizeof(buf), &result);
	rc |= write_output(w.b, WG_MSG_RESPONSE, argv[1], "response") != 0;
	fuzz_world_destroy(&w);
	return rc;
}
