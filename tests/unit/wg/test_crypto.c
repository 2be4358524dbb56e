/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handshake primitives (control/wg/crypto.c) against published vectors: BLAKE2s (RFC 7693 "abc",
 * the BLAKE2 reference keyed KAT), the WireGuard KDF (wireguard-go kdf_test.go), C0/H0
 * (protocols.md), X25519 (RFC 7748 incl. the iterated test), XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha), TAI64N.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto.h"
#include "fake_env.h"
#include "noise.h"
#include "test_util.h"

static int
setup(void **state)
{
	*state = wg_crypto_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	wg_crypto_free(*state);
	return 0;
}

static void
expect_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[64];

	assert_true(len <= sizeof(want));
	assert_int_equal(test_hex(want, len, hex), len);
	assert_memory_equal(got, want, len);
}

static void
test_blake2s_hash(void **state)
{
	struct wg_crypto *c = *state;
	uint8_t out[32];

	/* RFC 7693 appendix B */
	assert_int_equal(wg_crypto_hash(c, out, (const uint8_t *)"abc", 3, NULL, 0), 0);
	expect_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	/* the same input split in two */
	assert_int_equal(wg_crypto_hash(c, out, (const uint8_t *)"a", 1, (const uint8_t *)"bc", 2),
			 0);
	expect_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	assert_int_equal(wg_crypto_hash(c, out, (const uint8_t *)"", 0, NULL, 0), 0);
	expect_hex(out, 32, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

static void
test_blake2s_keyed(void **state)
{
	/* BLAKE2 reference blake2s-kat.txt: key 00..1f, input 00..(n-1) */
	static const struct {
		size_t in_len;
		const char *hex;
	} kat[] = {
		{ 0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49" },
		{ 1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1" },
		{ 2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803" },
		{ 64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4" },
	};
	struct wg_crypto *c = *state;
	uint8_t key[32], in[64], out[32];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		assert_int_equal(wg_crypto_mac(c, out, 32, key, 32, in, kat[i].in_len), 0);
		expect_hex(out, 32, kat[i].hex);
	}
	/* 128-bit output, as mac1/mac2/cookies use it, with 32- and 16-byte keys */
	assert_int_equal(wg_crypto_mac(c, out, 16, key, 32, in, 64), 0);
	expect_hex(out, 16, "f1efa90d2547036841ecd3627fafbc36");
	assert_int_equal(wg_crypto_mac(c, out, 16, key, 16, (const uint8_t *)"abc", 3), 0);
	expect_hex(out, 16, "75296c2d2c0f51210b383f386bc8b1ff");
}

static void
test_kdf(void **state)
{
	struct wg_crypto *c = *state;
	uint8_t key[32] = { 0 };
	uint8_t t1[32], t2[32], t3[32], again[32];

	/* wireguard-go kdf_test.go: the key is "test-key" (shorter than a hash) */
	memcpy(key, "test-key", 8);
	assert_int_equal(wg_crypto_hmac(c, t1, (const uint8_t *)"test-key", 8,
					(const uint8_t *)"test-input", 10, NULL, 0),
			 0);
	assert_int_equal(wg_crypto_hmac(c, t1, t1, 32, (const uint8_t *)"\x01", 1, NULL, 0), 0);
	expect_hex(t1, 32, "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633");
	/* KDF through its API needs a 32-byte key: HMAC zero-pads short keys, so "test-key" padded
	 * with zeros to 32 bytes is the same key. */
	assert_int_equal(wg_crypto_kdf(c, t1, t2, t3, key, (const uint8_t *)"test-input", 10), 0);
	expect_hex(t1, 32, "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633");
	expect_hex(t2, 32, "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a");
	expect_hex(t3, 32, "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24");
	/* KDF1 and KDF2 are prefixes of KDF3 */
	assert_int_equal(
		wg_crypto_kdf(c, again, NULL, NULL, key, (const uint8_t *)"test-input", 10), 0);
	assert_memory_equal(again, t1, 32);
	/* outputs may alias the key */
	assert_int_equal(wg_crypto_kdf(c, key, t2, NULL, key, (const uint8_t *)"test-input", 10),
			 0);
	assert_memory_equal(key, t1, 32);
}

static void
test_protocol_constants(void **state)
{
	struct wg_crypto *c = *state;
	uint8_t c0[32], h0[32];

	assert_int_equal(noise_protocol_constants(c, c0, h0), 0);
	expect_hex(c0, 32, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
	expect_hex(h0, 32, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}

static void
test_x25519_rfc7748(void **state)
{
	static const struct {
		const char *scalar, *u, *out;
	} vectors[] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
		/* section 6.1: Alice's private key with Bob's public key */
		{ "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	};
	uint8_t k[32], u[32], out[32], pub[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		test_hex(k, 32, vectors[i].scalar);
		test_hex(u, 32, vectors[i].u);
		assert_int_equal(wg_crypto_x25519(out, k, u), 0);
		expect_hex(out, 32, vectors[i].out);
	}
	/* section 6.1 public keys */
	test_hex(k, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	assert_int_equal(wg_crypto_public_key(pub, k), 0);
	expect_hex(pub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	test_hex(k, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	assert_int_equal(wg_crypto_public_key(pub, k), 0);
	expect_hex(pub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
}

/* k = u = 9; repeat: k, u = X25519(k, u), k */
static void
test_x25519_iterated(void **state)
{
	uint8_t k[32] = { 9 }, u[32] = { 9 }, next[32];
	int i;

	(void)state;
	for (i = 1; i <= 1000; i++) {
		assert_int_equal(wg_crypto_x25519(next, k, u), 0);
		memcpy(u, k, 32);
		memcpy(k, next, 32);
		if (i == 1)
			expect_hex(
				k, 32,
				"422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	}
	expect_hex(k, 32, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

static void
test_x25519_low_order(void **state)
{
	static const char *const points[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	uint8_t private_key[32], point[32], out[32], zeros[32] = { 0 };
	size_t i;

	(void)state;
	randombytes_buf(private_key, sizeof(private_key));
	wg_crypto_clamp(private_key);
	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		test_hex(point, 32, points[i]);
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(wg_crypto_x25519(out, private_key, point), -1);
		assert_memory_equal(out, zeros, 32);
	}
}

static void
test_clamp_and_generate(void **state)
{
	struct fake_env env;
	uint8_t k[32], pub[32], check[32];

	(void)state;
	memset(k, 0xff, sizeof(k));
	wg_crypto_clamp(k);
	assert_int_equal(k[0], 0xf8);
	assert_int_equal(k[31], 0x7f);
	memset(k, 0, sizeof(k));
	wg_crypto_clamp(k);
	assert_int_equal(k[31], 0x40);
	fake_env_init(&env, 3);
	assert_int_equal(wg_crypto_generate_keypair(&env.env, k, pub), 0);
	assert_int_equal(k[0] & 7, 0);
	assert_int_equal(k[31] & 0xc0, 0x40);
	assert_int_equal(wg_crypto_public_key(check, k), 0);
	assert_memory_equal(check, pub, 32);
}

static void
test_aead_counter_nonce(void **state)
{
	uint8_t key[32], out[20 + 16], back[20], ad[32], nonce[12] = { 0 };
	uint8_t expect[20 + 16];
	uint64_t le = htole64(0x0102030405060708ULL);

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(ad, sizeof(ad));
	memcpy(nonce + 4, &le, 8);
	crypto_aead_chacha20poly1305_ietf_encrypt(expect, NULL,
						  (const uint8_t *)"twenty bytes of text", 20, ad,
						  32, NULL, nonce, key);
	wg_crypto_aead_seal(out, key, 0x0102030405060708ULL,
			    (const uint8_t *)"twenty bytes of text", 20, ad, 32);
	assert_memory_equal(out, expect, sizeof(out));
	assert_int_equal(
		wg_crypto_aead_open(back, key, 0x0102030405060708ULL, out, sizeof(out), ad, 32), 0);
	assert_memory_equal(back, "twenty bytes of text", 20);
	ad[0] ^= 1;
	assert_int_equal(
		wg_crypto_aead_open(back, key, 0x0102030405060708ULL, out, sizeof(out), ad, 32),
		-1);
	assert_int_equal(wg_crypto_aead_open(back, key, 0, out, 15, ad, 32), -1);
	/* the handshake's empty payload: a bare tag */
	wg_crypto_aead_seal(out, key, 0, NULL, 0, ad, 32);
	assert_int_equal(wg_crypto_aead_open(back, key, 0, out, 16, ad, 32), 0);
}

/* draft-irtf-cfrg-xchacha-03 appendix A.3.1 */
static void
test_xchacha_vector(void **state)
{
	static const char plaintext[] =
		"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
		"the future, sunscreen would be it.";
	uint8_t key[32], nonce[24], aad[12], out[114 + 16], back[114];
	size_t i;

	(void)state;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	for (i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(0x40 + i);
	test_hex(aad, 12, "50515253c0c1c2c3c4c5c6c7");
	wg_crypto_xaead_seal(out, key, nonce, (const uint8_t *)plaintext, 114, aad, 12);
	expect_hex(out, 57,
		   "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
		   "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb");
	expect_hex(out + 57, 57,
		   "96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76"
		   "b2383565d3fff921f9664c97637da9768812f615c68b13b52e");
	expect_hex(out + 114, 16, "c0875924c1c7987947deafd8780acf49");
	assert_int_equal(wg_crypto_xaead_open(back, key, nonce, out, sizeof(out), aad, 12), 0);
	assert_memory_equal(back, plaintext, 114);
	out[3] ^= 1;
	assert_int_equal(wg_crypto_xaead_open(back, key, nonce, out, sizeof(out), aad, 12), -1);
}

static void
test_tai64n(void **state)
{
	uint8_t a[12], b[12], c[12];

	(void)state;
	/* 2026-01-01T00:00:00.123456789Z: nanoseconds rounded down to a multiple of 2^24 */
	wg_crypto_tai64n(a, 1767225600ULL * 1000000000ULL + 123456789ULL);
	expect_hex(a, 12, "400000006955b90a07000000");
	/* ordered as bytes, and equal within one 2^24 ns step */
	wg_crypto_tai64n(b, 1767225600ULL * 1000000000ULL + 123456789ULL + 1000000ULL);
	assert_memory_equal(a, b, 12);
	wg_crypto_tai64n(c, 1767225600ULL * 1000000000ULL + 123456789ULL + 20000000ULL);
	assert_true(memcmp(c, a, 12) > 0);
	wg_crypto_tai64n(c, 1767225601ULL * 1000000000ULL);
	assert_true(memcmp(c, a, 12) > 0);
}

static void
test_equal_and_zero(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	(void)state;
	assert_true(wg_crypto_is_zero(a, 32));
	assert_true(wg_crypto_equal(a, b, 32));
	b[31] = 1;
	assert_false(wg_crypto_is_zero(b, 32));
	assert_false(wg_crypto_equal(a, b, 32));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blake2s_hash),
		cmocka_unit_test(test_blake2s_keyed),
		cmocka_unit_test(test_kdf),
		cmocka_unit_test(test_protocol_constants),
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_x25519_iterated),
		cmocka_unit_test(test_x25519_low_order),
		cmocka_unit_test(test_clamp_and_generate),
		cmocka_unit_test(test_aead_counter_nonce),
		cmocka_unit_test(test_xchacha_vector),
		cmocka_unit_test(test_tai64n),
		cmocka_unit_test(test_equal_and_zero),
	};

	return cmocka_run_group_tests_name("wg_crypto", tests, setup, teardown);
}
