/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The disco codec under libFuzzer. A fuzzer cannot forge a box, so the input is taken as a
 * cleartext message, sealed here with two fixed key pairs and opened again: disco_open and
 * disco_decode see every input the box would let through. A message that decodes must encode
 * again and decode to the same fields (the re-encoding drops what the decoder ignored).
 * The raw input also goes to disco_open as a frame, for the header and length checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "disco.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t a_pub[32], ab[32], ba[32];

static void
keys_once(void)
{
	static int done;
	uint8_t a_priv[32], b_pub[32], b_priv[32];

	if (done)
		return;
	done = 1;
	if (sodium_init() < 0)
		abort();
	/* fixed keys: the run is reproducible */
	memset(a_priv, 0x11, 32);
	memset(b_priv, 0x22, 32);
	crypto_scalarmult_base(a_pub, a_priv);
	crypto_scalarmult_base(b_pub, b_priv);
	if (disco_shared_key(ab, a_priv, b_pub) != 0 || disco_shared_key(ba, b_priv, a_pub) != 0)
		abort();
}

static void
same(const struct disco_message *a, const struct disco_message *b)
{
	if (a->type != b->type)
		abort();
	switch (a->type) {
	case DISCO_PING:
		if (memcmp(a->ping.txid, b->ping.txid, DISCO_TXID_LEN) != 0 ||
		    a->ping.has_node_key != b->ping.has_node_key ||
		    (a->ping.has_node_key && memcmp(a->ping.node_key, b->ping.node_key, 32) != 0))
			abort();
		break;
	case DISCO_PONG:
		if (memcmp(a->pong.txid, b->pong.txid, DISCO_TXID_LEN) != 0 ||
		    !netendpoint_equal(&a->pong.src, &b->pong.src))
			abort();
		break;
	case DISCO_CALL_ME_MAYBE:
		if (a->call_me_maybe.count != b->call_me_maybe.count)
			abort();
		for (size_t i = 0; i < a->call_me_maybe.count; i++)
			if (!netendpoint_equal(&a->call_me_maybe.endpoints[i],
					       &b->call_me_maybe.endpoints[i]))
				abort();
		break;
	case DISCO_HELLO:
		if (memcmp(a->hello.disco_key, b->hello.disco_key, 32) != 0 ||
		    a->hello.summary.sequence != b->hello.summary.sequence ||
		    a->hello.summary.endpoint_count != b->hello.summary.endpoint_count)
			abort();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t frame[DISCO_FRAME_MAX + 64], plain[DISCO_MESSAGE_MAX];
	struct disco_message m, back, again;
	unsigned char *nonce = frame + DISCO_MAGIC_LEN + DISCO_KEY_LEN;
	int n;

	keys_once();
	(void)disco_open(data, size, ba, &m);
	if (size > DISCO_MESSAGE_MAX)
		return 0;
	/* the input as a sealed message */
	memcpy(frame, "TS\xf0\x9f\x92\xac", DISCO_MAGIC_LEN);
	memcpy(frame + DISCO_MAGIC_LEN, a_pub, 32);
	memset(nonce, 0, DISCO_NONCE_LEN);
	crypto_box_easy_afternm(frame + DISCO_HEADER_LEN, data, size, nonce, ab);
	n = disco_open(frame, DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + size, ba, &back);
	if (n != DISCO_OK)
		return 0;
	/* what decoded encodes again and decodes the same */
	n = disco_encode(&back, plain, sizeof(plain));
	if (n < 0) {
		/* only a ping whose padding the decoder clipped may not fit again */
		if (back.type != DISCO_PING)
			abort();
		return 0;
	}
	if (disco_decode(plain, (size_t)n, &again) != DISCO_OK)
		abort();
	same(&back, &again);
	return 0;
}
