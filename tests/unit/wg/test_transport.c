/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Type-4 transport crypto (dataplane/wg/transport.c): the RFC 8439 AEAD vector through ipsec-mb
 * (direct and job API) and libsodium, WireGuard framing, padding, burst and single forms against
 * libsodium, and failed tags leaving no plaintext.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "messages.h"
#include "test_util.h"
#include "transport.h"

static const char rfc8439_plaintext[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
	"future, sunscreen would be it.";
static const char rfc8439_ciphertext[] =
	"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69"
	"da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad67594"
	"5585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
static const char rfc8439_tag[] = "1ae10b594f09e26a7e902ecbd0600691";

struct rfc8439 {
	uint8_t key[32];
	uint8_t nonce[12];
	uint8_t aad[12];
	uint8_t ciphertext[114];
	uint8_t tag[16];
};

static void
rfc8439_load(struct rfc8439 *v)
{
	size_t i;

	for (i = 0; i < 32; i++)
		v->key[i] = (uint8_t)(0x80 + i);
	assert_int_equal(test_hex(v->nonce, 12, "070000004041424344454647"), 12);
	assert_int_equal(test_hex(v->aad, 12, "50515253c0c1c2c3c4c5c6c7"), 12);
	assert_int_equal(test_hex(v->ciphertext, 114, rfc8439_ciphertext), 114);
	assert_int_equal(test_hex(v->tag, 16, rfc8439_tag), 16);
	assert_int_equal(strlen(rfc8439_plaintext), 114);
}

static int
setup_ctx(void **state)
{
	struct wg_transport_ctx *ctx = malloc(sizeof(*ctx));

	if (ctx == NULL || wg_transport_ctx_init(ctx) != 0) {
		free(ctx);
		return -1;
	}
	*state = ctx;
	return 0;
}

static int
teardown_ctx(void **state)
{
	wg_transport_ctx_fini(*state);
	free(*state);
	return 0;
}

static void
test_rfc8439_ipsecmb_single(void **state)
{
	struct wg_transport_ctx *ctx = *state;
	struct rfc8439 v;
	uint8_t data[114];
	uint8_t tag[16];
	struct wg_aead_op op;

	rfc8439_load(&v);
	memcpy(data, rfc8439_plaintext, sizeof(data));
	op = (struct wg_aead_op){ .key = v.key,
				  .nonce = v.nonce,
				  .aad = v.aad,
				  .aad_len = 12,
				  .data = data,
				  .len = sizeof(data),
				  .tag = tag };
	wg_aead_seal(ctx, &op);
	assert_memory_equal(data, v.ciphertext, sizeof(data));
	assert_memory_equal(tag, v.tag, sizeof(tag));
	op.tag = v.tag;
	assert_int_equal(wg_aead_open(ctx, &op), WG_TRANSPORT_OK);
	assert_memory_equal(data, rfc8439_plaintext, sizeof(data));
}

static void
test_rfc8439_ipsecmb_burst(void **state)
{
	struct wg_transport_ctx *ctx = *state;
	enum { COPIES = 3 };
	struct wg_aead_op ops[COPIES];
	uint8_t data[COPIES][114];
	uint8_t tag[COPIES][16];
	struct rfc8439 v;
	unsigned i;

	rfc8439_load(&v);
	for (i = 0; i < COPIES; i++) {
		memcpy(data[i], rfc8439_plaintext, 114);
		ops[i] = (struct wg_aead_op){ .key = v.key,
					      .nonce = v.nonce,
					      .aad = v.aad,
					      .aad_len = 12,
					      .data = data[i],
					      .len = 114,
					      .tag = tag[i] };
	}
	assert_int_equal(wg_aead_seal_burst(ctx, ops, COPIES), COPIES);
	for (i = 0; i < COPIES; i++) {
		assert_int_equal(ops[i].status, WG_TRANSPORT_OK);
		assert_memory_equal(data[i], v.ciphertext, 114);
		assert_memory_equal(tag[i], v.tag, 16);
	}
	assert_int_equal(wg_aead_open_burst(ctx, ops, COPIES), COPIES);
	for (i = 0; i < COPIES; i++)
		assert_memory_equal(data[i], rfc8439_plaintext, 114);
}

static void
test_rfc8439_libsodium(void **state)
{
	uint8_t out[114 + 16];
	uint8_t back[114];
	unsigned long long len = 0;
	struct rfc8439 v;

	(void)state;
	rfc8439_load(&v);
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(
				 out, &len, (const uint8_t *)rfc8439_plaintext, 114, v.aad, 12,
				 NULL, v.nonce, v.key),
			 0);
	assert_int_equal(len, 130);
	assert_memory_equal(out, v.ciphertext, 114);
	assert_memory_equal(out + 114, v.tag, 16);
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(back, &len, NULL, out, 130,
								   v.aad, 12, v.nonce, v.key),
			 0);
	assert_memory_equal(back, rfc8439_plaintext, 114);
}

static void
test_padded_len(void **state)
{
	static const struct {
		size_t len, mtu, padded;
	} cases[] = {
		{ 0, 1420, 0 },       { 1, 1420, 16 },      { 15, 1420, 16 },
		{ 16, 1420, 16 },     { 17, 1420, 32 },     { 84, 1420, 96 },
		{ 1404, 1420, 1408 }, { 1409, 1420, 1420 }, { 1419, 1420, 1420 },
		{ 1420, 1420, 1420 }, { 1500, 1420, 1500 }, { 100, 100, 100 },
		{ 99, 100, 100 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(wg_transport_padded_len(cases[i].len, cases[i].mtu),
				 cases[i].padded);
		assert_int_equal(wg_transport_message_len(cases[i].len, cases[i].mtu),
				 cases[i].padded + 32);
	}
}

static void
test_header(void **state)
{
	uint8_t msg[64] = { 0 };
	uint32_t receiver = 0;
	uint64_t counter = 0;

	(void)state;
	wg_transport_header_write(msg, 0x11223344, 0x0102030405060708ULL);
	assert_memory_equal(msg, "\x04\x00\x00\x00\x44\x33\x22\x11\x08\x07\x06\x05\x04\x03\x02\x01",
			    16);
	assert_int_equal(wg_transport_header_parse(msg, 32, &receiver, &counter), 0);
	assert_int_equal(receiver, 0x11223344);
	assert_true(counter == 0x0102030405060708ULL);
	assert_int_equal(wg_transport_header_parse(msg, 31, &receiver, &counter), -1);
	msg[1] = 1; /* a reserved byte */
	assert_int_equal(wg_transport_header_parse(msg, 32, &receiver, &counter), -1);
	msg[1] = 0;
	msg[0] = 3;
	assert_int_equal(wg_transport_header_parse(msg, 64, &receiver, &counter), -1);
}

static void
test_classify(void **state)
{
	static const struct {
		uint8_t first[4];
		size_t len;
		enum wg_message_type type;
	} cases[] = {
		{ { 1, 0, 0, 0 }, 148, WG_MSG_INITIATION },
		{ { 1, 0, 0, 0 }, 147, 0 },
		{ { 1, 0, 0, 0 }, 149, 0 },
		{ { 2, 0, 0, 0 }, 92, WG_MSG_RESPONSE },
		{ { 2, 0, 0, 0 }, 91, 0 },
		{ { 2, 0, 0, 0 }, 93, 0 },
		{ { 3, 0, 0, 0 }, 64, WG_MSG_COOKIE_REPLY },
		{ { 3, 0, 0, 0 }, 63, 0 },
		{ { 3, 0, 0, 0 }, 65, 0 },
		{ { 4, 0, 0, 0 }, 32, WG_MSG_TRANSPORT },
		{ { 4, 0, 0, 0 }, 1500, WG_MSG_TRANSPORT },
		{ { 4, 0, 0, 0 }, 31, 0 },
		{ { 0, 0, 0, 0 }, 148, 0 },
		{ { 5, 0, 0, 0 }, 148, 0 },
		{ { 1, 1, 0, 0 }, 148, 0 },
		{ { 1, 0, 0, 1 }, 148, 0 },
		{ { 4, 0, 1, 0 }, 32, 0 },
		{ { 1, 0, 0, 0 }, 3, 0 },
	};
	uint8_t buf[1500] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, cases[i].first, 4);
		assert_int_equal(wg_message_classify(buf, cases[i].len), cases[i].type);
	}
}

/* Seal with ipsec-mb (single), compare with libsodium on the WireGuard nonce, open again. */
static void
test_seal_matches_libsodium(void **state)
{
	static const size_t lengths[] = { 0, 1, 15, 16, 17, 100, 1408, 1419, 1420 };
	static const uint64_t counters[] = { 0, 1, 0x100000005ULL, UINT64_MAX - 8193 };
	struct wg_transport_ctx *ctx = *state;
	uint8_t key[32];
	uint8_t msg[1420 + 32];
	uint8_t plain[1420];
	uint8_t expect[1420 + 16];
	size_t li, ci;

	randombytes_buf(key, sizeof(key));
	for (li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++) {
		for (ci = 0; ci < sizeof(counters) / sizeof(counters[0]); ci++) {
			size_t len = lengths[li];
			size_t padded = wg_transport_padded_len(len, 1420);
			uint8_t nonce[12] = { 0 };
			uint64_t le = htole64(counters[ci]);
			uint32_t receiver;
			uint64_t counter;
			size_t msg_len;

			memset(plain, 0, sizeof(plain));
			randombytes_buf(plain, len);
			memcpy(nonce + 4, &le, 8);
			crypto_aead_chacha20poly1305_ietf_encrypt(expect, NULL, plain, padded, NULL,
								  0, NULL, nonce, key);
			memset(msg, 0xee, sizeof(msg)); /* padding must come out as zeros */
			memcpy(msg + 16, plain, len);
			msg_len = wg_transport_seal(ctx, key, 0xabcdef01, counters[ci], msg, len,
						    1420);
			assert_int_equal(msg_len, padded + 32);
			assert_memory_equal(msg + 16, expect, padded + 16);
			assert_int_equal(
				wg_transport_header_parse(msg, msg_len, &receiver, &counter), 0);
			assert_int_equal(receiver, 0xabcdef01);
			assert_true(counter == counters[ci]);
			assert_int_equal(wg_transport_open(ctx, key, counter, msg, msg_len),
					 WG_TRANSPORT_OK);
			assert_memory_equal(msg + 16, plain, padded);
		}
	}
}

/* 40 packets (a chunk of 32 and one of 8) of mixed sizes: the burst forms agree with the
 * single forms, and one corrupted packet in the middle fails alone with its payload wiped. */
static void
test_burst_matches_single(void **state)
{
	enum { N = 40, BAD = 17 };
	struct wg_transport_ctx *ctx = *state;
	static uint8_t burst[N][1420 + 32];
	static uint8_t single[N][1420 + 32];
	struct wg_transport_op ops[N];
	uint8_t zeros[1420] = { 0 };
	uint8_t key[32];
	size_t len[N];
	unsigned i;

	randombytes_buf(key, sizeof(key));
	for (i = 0; i < N; i++) {
		len[i] = (i * 97) % 1421;
		randombytes_buf(burst[i] + 16, len[i]);
		memcpy(single[i], burst[i], sizeof(burst[i]));
		ops[i] = (struct wg_transport_op){ .key = key,
						   .msg = burst[i],
						   .payload_len = (uint32_t)len[i],
						   .receiver = 7,
						   .counter = 1000 + i };
	}
	assert_int_equal(wg_transport_seal_burst(ctx, ops, N, 1420), N);
	for (i = 0; i < N; i++) {
		size_t msg_len = wg_transport_seal(ctx, key, 7, 1000 + i, single[i], len[i], 1420);

		assert_int_equal(ops[i].status, WG_TRANSPORT_OK);
		assert_int_equal(ops[i].payload_len + 32, msg_len);
		assert_memory_equal(burst[i], single[i], msg_len);
	}
	burst[BAD][16 + ops[BAD].payload_len] ^= 0x01; /* first tag byte */
	assert_int_equal(wg_transport_open_burst(ctx, ops, N), N - 1);
	for (i = 0; i < N; i++) {
		if (i == BAD) {
			assert_int_equal(ops[i].status, WG_TRANSPORT_AUTH_FAILED);
			assert_memory_equal(burst[i] + 16, zeros, ops[i].payload_len);
			continue;
		}
		assert_int_equal(ops[i].status, WG_TRANSPORT_OK);
		assert_int_equal(
			wg_transport_open(ctx, key, 1000 + i, single[i], ops[i].payload_len + 32),
			WG_TRANSPORT_OK);
		assert_memory_equal(burst[i] + 16, single[i] + 16, ops[i].payload_len);
	}
}

static void
test_open_failures_wipe(void **state)
{
	struct wg_transport_ctx *ctx = *state;
	uint8_t key[32];
	uint8_t other[32];
	uint8_t msg[64 + 32];
	uint8_t zeros[64] = { 0 };
	size_t msg_len;

	randombytes_buf(key, sizeof(key));
	memcpy(other, key, sizeof(other));
	other[5] ^= 0x80;
	/* corrupted ciphertext */
	memset(msg + 16, 0x41, 64);
	msg_len = wg_transport_seal(ctx, key, 1, 9, msg, 64, 1420);
	msg[20] ^= 0x04;
	assert_int_equal(wg_transport_open(ctx, key, 9, msg, msg_len), WG_TRANSPORT_AUTH_FAILED);
	assert_memory_equal(msg + 16, zeros, 64);
	/* wrong counter (nonce) */
	memset(msg + 16, 0x41, 64);
	msg_len = wg_transport_seal(ctx, key, 1, 9, msg, 64, 1420);
	assert_int_equal(wg_transport_open(ctx, key, 10, msg, msg_len), WG_TRANSPORT_AUTH_FAILED);
	assert_memory_equal(msg + 16, zeros, 64);
	/* wrong key */
	memset(msg + 16, 0x41, 64);
	msg_len = wg_transport_seal(ctx, key, 1, 9, msg, 64, 1420);
	assert_int_equal(wg_transport_open(ctx, other, 9, msg, msg_len), WG_TRANSPORT_AUTH_FAILED);
	assert_memory_equal(msg + 16, zeros, 64);
	/* a keepalive's tag */
	msg_len = wg_transport_seal(ctx, key, 1, 3, msg, 0, 1420);
	assert_int_equal(msg_len, 32);
	assert_int_equal(wg_transport_open(ctx, key, 3, msg, 32), WG_TRANSPORT_OK);
	msg[31] ^= 0xff;
	assert_int_equal(wg_transport_open(ctx, key, 3, msg, 32), WG_TRANSPORT_AUTH_FAILED);
	/* shorter than a header and a tag */
	assert_int_equal(wg_transport_open(ctx, key, 3, msg, 31), WG_TRANSPORT_ERROR);
}

static void
test_arch(void **state)
{
	struct wg_transport_ctx *ctx = *state;

	assert_string_not_equal(wg_transport_ctx_arch(ctx), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8439_ipsecmb_single),
		cmocka_unit_test(test_rfc8439_ipsecmb_burst),
		cmocka_unit_test(test_rfc8439_libsodium),
		cmocka_unit_test(test_padded_len),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_seal_matches_libsodium),
		cmocka_unit_test(test_burst_matches_single),
		cmocka_unit_test(test_open_failures_wipe),
		cmocka_unit_test(test_arch),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("wg_transport", tests, setup_ctx, teardown_ctx);
}
