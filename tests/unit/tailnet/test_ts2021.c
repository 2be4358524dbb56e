/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ts2021 below HTTP/2: the Noise IK initiator against a responder written here from the same
 * primitives (BLAKE2s, HKDF, X25519, ChaCha20-Poly1305), following controlbase's Server step by
 * step; the big-endian transport nonce checked against libsodium with explicit nonce bytes;
 * record reassembly from split and merged reads; the early payload; the HTTP/1.1 parts.
 * The interop oracle for all of it is real headscale, in tests/lab/tailnet.
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

#include "crypto.h"
#include "ts2021_http.h"
#include "ts2021_noise.h"
#include "ts2021_record.h"

static struct wg_crypto *crypto;

/* The responder: controlbase.Server, from the primitives. */
struct responder {
	uint8_t h[32], ck[32];
	uint8_t machine_public[32];
	uint16_t version;
	struct ts2021_cipher tx, rx;
};

static void
mix_hash(uint8_t h[32], const uint8_t *data, size_t len)
{
	assert_int_equal(wg_crypto_hash(crypto, h, h, 32, data, len), 0);
}

static int
mix_dh(uint8_t ck[32], uint8_t k[32], const uint8_t priv[32], const uint8_t pub[32])
{
	uint8_t dh[32];

	if (wg_crypto_x25519(dh, priv, pub) < 0)
		return -1;
	assert_int_equal(wg_crypto_kdf(crypto, ck, k, NULL, ck, dh, 32), 0);
	return 0;
}

/* Accept an initiation; write the 51-byte response. -1 when the initiation is refused. */
static int
respond(struct responder *r, const uint8_t control_private[32], const uint8_t *init,
	const uint8_t ephemeral_private[32], uint8_t out[TS2021_RESPONSE_LEN])
{
	static const char name[] = "Noise_IK_25519_ChaChaPoly_BLAKE2s";
	uint8_t control_public[32], k[32], eph[32], eph_public[32], empty = 0;
	const uint8_t *e = init + 5, *sealed_static = e + 32, *tag = sealed_static + 48;
	char prologue[40];

	if (init[2] != TS2021_MSG_INITIATION || init[3] != 0 || init[4] != 96)
		return -1;
	r->version = (uint16_t)(init[0] << 8 | init[1]);
	crypto_scalarmult_base(control_public, control_private);
	assert_int_equal(wg_crypto_hash(crypto, r->h, (const uint8_t *)name, sizeof(name) - 1,
					NULL, 0), 0);
	memcpy(r->ck, r->h, 32);
	snprintf(prologue, sizeof(prologue), "Tailscale Control Protocol v%u", r->version);
	mix_hash(r->h, (const uint8_t *)prologue, strlen(prologue));
	mix_hash(r->h, control_public, 32);
	mix_hash(r->h, e, 32);
	if (mix_dh(r->ck, k, control_private, e) < 0)
		return -1;
	if (wg_crypto_aead_open(r->machine_public, k, 0, sealed_static, 48, r->h, 32) < 0)
		return -1;
	mix_hash(r->h, sealed_static, 48);
	if (mix_dh(r->ck, k, control_private, r->machine_public) < 0)
		return -1;
	if (wg_crypto_aead_open(&empty, k, 0, tag, 16, r->h, 32) < 0)
		return -1;
	mix_hash(r->h, tag, 16);

	memcpy(eph, ephemeral_private, 32);
	wg_crypto_clamp(eph);
	crypto_scalarmult_base(eph_public, eph);
	out[0] = TS2021_MSG_RESPONSE;
	out[1] = 0;
	out[2] = 48;
	memcpy(out + 3, eph_public, 32);
	mix_hash(r->h, eph_public, 32);
	assert_int_equal(mix_dh(r->ck, k, eph, e), 0);                   /* ee */
	assert_int_equal(mix_dh(r->ck, k, eph, r->machine_public), 0);   /* se */
	wg_crypto_aead_seal(out + 35, k, 0, NULL, 0, r->h, 32);
	mix_hash(r->h, out + 35, 16);
	/* Split: the server sends with k2, receives with k1 */
	assert_int_equal(wg_crypto_kdf(crypto, r->rx.key, r->tx.key, NULL, r->ck, &empty, 0), 0);
	r->tx.counter = r->rx.counter = 0;
	return 0;
}

static uint8_t machine_private[32], machine_public[32], control_private[32],
	control_public[32];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto = wg_crypto_new();
	if (crypto == NULL)
		return -1;
	randombytes_buf(machine_private, 32);
	wg_crypto_clamp(machine_private);
	crypto_scalarmult_base(machine_public, machine_private);
	randombytes_buf(control_private, 32);
	wg_crypto_clamp(control_private);
	crypto_scalarmult_base(control_public, control_private);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	wg_crypto_free(crypto);
	return 0;
}

/* A complete handshake; both sides' transport states returned. */
static void
handshake(struct ts2021_session *client, struct responder *server, uint16_t version)
{
	struct ts2021_handshake hs;
	uint8_t init[TS2021_INITIATION_LEN], resp[TS2021_RESPONSE_LEN], eph[32], seph[32];

	randombytes_buf(eph, 32);
	randombytes_buf(seph, 32);
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph,
					   version, init), 0);
	assert_int_equal(respond(server, control_private, init, seph, resp), 0);
	assert_int_equal(ts2021_response_length(resp, 3), TS2021_RESPONSE_LEN);
	assert_int_equal(ts2021_response(&hs, crypto, resp, sizeof(resp), client),
			 TS2021_RESPONSE_OK);
}

static void
test_prologue(void **state)
{
	char p[40];

	(void)state;
	assert_int_equal(ts2021_prologue(p, 113), strlen("Tailscale Control Protocol v113"));
	assert_memory_equal(p, "Tailscale Control Protocol v113", 31);
	assert_int_equal(ts2021_prologue(p, 65535), strlen("Tailscale Control Protocol v65535"));
}

static void
test_initiation_layout(void **state)
{
	struct ts2021_handshake hs;
	uint8_t init[TS2021_INITIATION_LEN], eph[32], eph_clamped[32], eph_public[32];
	struct responder server;
	uint8_t resp[TS2021_RESPONSE_LEN], seph[32] = {7};

	(void)state;
	memset(eph, 0x42, sizeof(eph));
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph, 0x0171,
					   init), 0);
	/* version u16 BE | type 1 | length u16 BE 96 | e.pub */
	assert_int_equal(init[0], 0x01);
	assert_int_equal(init[1], 0x71);
	assert_int_equal(init[2], 1);
	assert_int_equal(init[3], 0);
	assert_int_equal(init[4], 96);
	memcpy(eph_clamped, eph, 32);
	wg_crypto_clamp(eph_clamped);
	crypto_scalarmult_base(eph_public, eph_clamped);
	assert_memory_equal(init + 5, eph_public, 32);
	/* the responder learns our machine key and the version */
	assert_int_equal(respond(&server, control_private, init, seph, resp), 0);
	assert_memory_equal(server.machine_public, machine_public, 32);
	assert_int_equal(server.version, 0x0171);
	/* a flipped bit anywhere after the header is refused by the responder */
	for (size_t i = 5; i < TS2021_INITIATION_LEN; i += 7) {
		uint8_t bad[TS2021_INITIATION_LEN];

		memcpy(bad, init, sizeof(bad));
		bad[i] ^= 0x10;
		assert_int_equal(respond(&server, control_private, bad, seph, resp), -1);
	}
	sodium_memzero(&hs, sizeof(hs));
}

static void
test_handshake_keys(void **state)
{
	struct ts2021_session client;
	struct responder server;

	(void)state;
	handshake(&client, &server, 113);
	assert_memory_equal(client.tx.key, server.rx.key, 32);
	assert_memory_equal(client.rx.key, server.tx.key, 32);
	assert_memory_not_equal(client.tx.key, client.rx.key, 32);
	assert_memory_equal(client.handshake_hash, server.h, 32);
	assert_int_equal(client.tx.counter, 0);
	assert_int_equal(client.rx.counter, 0);
}

static void
test_wrong_server_key(void **state)
{
	struct ts2021_handshake hs;
	struct ts2021_session client;
	struct responder server;
	uint8_t other_private[32], other_public[32], init[TS2021_INITIATION_LEN];
	uint8_t resp[TS2021_RESPONSE_LEN], eph[32] = {1}, seph[32] = {2};

	(void)state;
	/* the client holds the real key; an impostor with another key answers */
	randombytes_buf(other_private, 32);
	wg_crypto_clamp(other_private);
	crypto_scalarmult_base(other_public, other_private);
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph, 113,
					   init), 0);
	/* the impostor cannot even read the initiation */
	assert_int_equal(respond(&server, other_private, init, seph, resp), -1);
	/* and a response made for another handshake does not verify */
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, other_public, eph, 113,
					   init), 0);
	assert_int_equal(respond(&server, other_private, init, seph, resp), 0);
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph, 113,
					   init), 0);
	assert_int_equal(ts2021_response(&hs, crypto, resp, sizeof(resp), &client),
			 TS2021_RESPONSE_BAD_TAG);
	assert_true(sodium_is_zero(client.tx.key, 32));
	/* the handshake state is spent: wiped */
	assert_true(sodium_is_zero((const uint8_t *)&hs, sizeof(hs)));
}

static void
test_response_framing(void **state)
{
	static const uint8_t error_msg[] = {3, 0, 5, 'h', 'e', 'l', 'l', 'o'};
	struct ts2021_handshake hs;
	struct ts2021_session client;
	uint8_t init[TS2021_INITIATION_LEN], resp[TS2021_RESPONSE_LEN] = {2, 0, 48};
	uint8_t eph[32] = {9}, bad_type[TS2021_RESPONSE_LEN] = {5, 0, 48};
	uint8_t bad_len[] = {2, 0, 47};

	(void)state;
	assert_int_equal(ts2021_response_length(resp, 2), 0);
	assert_int_equal(ts2021_response_length(error_msg, 3), 8);
	assert_int_equal(ts2021_response_length(bad_type, 3), -1);
	assert_int_equal(ts2021_response_length(bad_len, 3), -1);
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph, 113,
					   init), 0);
	assert_int_equal(ts2021_response(&hs, crypto, error_msg, sizeof(error_msg), &client),
			 TS2021_RESPONSE_SERVER_ERROR);
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph, 113,
					   init), 0);
	assert_int_equal(ts2021_response(&hs, crypto, bad_type, sizeof(bad_type), &client),
			 TS2021_RESPONSE_BAD_TYPE);
	/* an all-zero ephemeral key (a low-order point) */
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph, 113,
					   init), 0);
	assert_int_equal(ts2021_response(&hs, crypto, resp, sizeof(resp), &client),
			 TS2021_RESPONSE_BAD_KEY);
	assert_int_equal(ts2021_initiation(&hs, crypto, machine_private, control_public, eph, 113,
					   init), 0);
	assert_int_equal(ts2021_response(&hs, crypto, resp, 50, &client),
			 TS2021_RESPONSE_BAD_LENGTH);
}

/* The transport nonce is 4 zero bytes and the counter big-endian (controlbase/conn.go). */
static void
test_big_endian_nonce(void **state)
{
	static const uint8_t be_one[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t be_big[12] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
	struct ts2021_cipher tx = {0};
	uint8_t nonce[12], ct[5 + 16], pt[5];
	unsigned long long pt_len;

	(void)state;
	ts2021_nonce(nonce, 1);
	assert_memory_equal(nonce, be_one, 12);
	ts2021_nonce(nonce, 0x0102030405060708ull);
	assert_memory_equal(nonce, be_big, 12);
	randombytes_buf(tx.key, 32);
	assert_int_equal(ts2021_cipher_seal(&tx, ct, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(ts2021_cipher_seal(&tx, ct, (const uint8_t *)"world", 5), 0);
	/* the second record used counter 1, big-endian: open it with those nonce bytes */
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(pt, &pt_len, NULL, ct,
								    sizeof(ct), NULL, 0, be_one,
								    tx.key), 0);
	assert_memory_equal(pt, "world", 5);
	/* the little-endian nonce of the Noise spec does not open it */
	{
		uint8_t le_one[12] = {0, 0, 0, 0, 1};

		assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(
					 pt, &pt_len, NULL, ct, sizeof(ct), NULL, 0, le_one,
					 tx.key), -1);
	}
	/* 2^64-1 is never used */
	tx.counter = UINT64_MAX;
	assert_int_equal(ts2021_cipher_seal(&tx, ct, pt, 5), -1);
}

/* Records from one side, read back by the other in arbitrary pieces. */
static size_t
make_records(struct ts2021_cipher *tx, const uint8_t *data, size_t len, uint8_t *out)
{
	size_t used = 0;

	while (len > 0) {
		size_t n = len > TS2021_PLAINTEXT_MAX ? TS2021_PLAINTEXT_MAX : len;

		used += ts2021_record_seal(tx, out + used, data, n);
		data += n;
		len -= n;
	}
	return used;
}

static size_t
read_all(struct ts2021_reader *r, struct ts2021_cipher *rx, const uint8_t *wire, size_t len,
	 size_t piece, uint8_t *out)
{
	uint8_t plain[TS2021_PLAINTEXT_MAX];
	size_t got = 0;

	for (size_t at = 0; at < len; at += piece) {
		const uint8_t *p = wire + at;
		size_t n = len - at < piece ? len - at : piece, plain_len;
		enum ts2021_read_result res;

		while ((res = ts2021_reader_next(r, rx, &p, &n, plain, &plain_len)) ==
		       TS2021_READ_RECORD) {
			memcpy(out + got, plain, plain_len);
			got += plain_len;
		}
		assert_int_equal(res, TS2021_READ_MORE);
		assert_int_equal(n, 0);
	}
	return got;
}

static void
test_records_split_and_merged(void **state)
{
	struct ts2021_session client;
	struct responder server;
	static uint8_t data[3 * TS2021_PLAINTEXT_MAX + 100], wire[sizeof(data) + 4 * 19],
		back[sizeof(data)];
	static const size_t pieces[] = {1, 2, 3, 7, 19, 100, 4095, 4096, 4097, 65536};
	size_t wire_len;

	(void)state;
	randombytes_buf(data, sizeof(data));
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct ts2021_reader reader;

		handshake(&client, &server, 113);
		wire_len = make_records(&client.tx, data, sizeof(data), wire);
		/* 4 records: 3 full (4096 bytes each on the wire) and one of 100 */
		assert_int_equal(wire_len, 3 * TS2021_RECORD_MAX + 3 + 100 + 16);
		assert_int_equal(wire[0], 4);
		assert_int_equal(wire[1] << 8 | wire[2], TS2021_CIPHERTEXT_MAX);
		ts2021_reader_init(&reader);
		assert_int_equal(read_all(&reader, &server.rx, wire, wire_len, pieces[i], back),
				 sizeof(data));
		assert_memory_equal(back, data, sizeof(data));
		assert_int_equal(server.rx.counter, 4);
	}
}

static void
test_records_refused(void **state)
{
	struct ts2021_session client;
	struct responder server;
	struct ts2021_reader reader;
	uint8_t wire[64], plain[TS2021_PLAINTEXT_MAX];
	const uint8_t *p;
	size_t n, plain_len;
	static const uint8_t too_long[] = {4, 0x0f, 0xfe}; /* 4094 bytes of ciphertext */
	static const uint8_t too_short[] = {4, 0, 15};
	static const uint8_t bad_type[] = {2, 0, 16};

	(void)state;
	handshake(&client, &server, 113);
	ts2021_reader_init(&reader);
	p = too_long;
	n = sizeof(too_long);
	assert_int_equal(ts2021_reader_next(&reader, &server.rx, &p, &n, plain, &plain_len),
			 TS2021_READ_TOO_LONG);
	ts2021_reader_init(&reader);
	p = too_short;
	n = sizeof(too_short);
	assert_int_equal(ts2021_reader_next(&reader, &server.rx, &p, &n, plain, &plain_len),
			 TS2021_READ_BAD_RECORD);
	ts2021_reader_init(&reader);
	p = bad_type;
	n = sizeof(bad_type);
	assert_int_equal(ts2021_reader_next(&reader, &server.rx, &p, &n, plain, &plain_len),
			 TS2021_READ_BAD_TYPE);
	/* a record with a flipped bit fails, and the reader stays failed */
	n = ts2021_record_seal(&client.tx, wire, (const uint8_t *)"abc", 3);
	wire[5] ^= 1;
	ts2021_reader_init(&reader);
	p = wire;
	assert_int_equal(ts2021_reader_next(&reader, &server.rx, &p, &n, plain, &plain_len),
			 TS2021_READ_BAD_RECORD);
	n = ts2021_record_seal(&client.tx, wire, (const uint8_t *)"abc", 3);
	p = wire;
	assert_int_equal(ts2021_reader_next(&reader, &server.rx, &p, &n, plain, &plain_len),
			 TS2021_READ_BAD_RECORD);
	/* a record of no plaintext is valid (Go's reader loops over them) */
	handshake(&client, &server, 113);
	ts2021_reader_init(&reader);
	n = ts2021_record_seal(&client.tx, wire, NULL, 0);
	assert_int_equal(n, 19);
	p = wire;
	assert_int_equal(ts2021_reader_next(&reader, &server.rx, &p, &n, plain, &plain_len),
			 TS2021_READ_RECORD);
	assert_int_equal(plain_len, 0);
	/* plaintext over 4077 bytes is not sealed into one record */
	assert_int_equal(ts2021_record_seal(&client.tx, wire, plain, TS2021_PLAINTEXT_MAX + 1), 0);
}

/* headscale writes the early payload as three records: magic, length, JSON. */
static void
test_early_payload(void **state)
{
	static const char json[] = "{\"nodeKeyChallenge\":\"chalpub:"
				   "0000000000000000000000000000000000000000000000000000000000000001\"}";
	uint8_t stream[9 + sizeof(json) - 1 + 9];
	struct ts2021_early e;
	const uint8_t *p;
	size_t n, len = 0;

	(void)state;
	memcpy(stream, ts2021_early_magic, 5);
	stream[5] = 0;
	stream[6] = 0;
	stream[7] = 0;
	stream[8] = (uint8_t)(sizeof(json) - 1);
	memcpy(stream + 9, json, sizeof(json) - 1);
	len = 9 + sizeof(json) - 1;
	/* an HTTP/2 SETTINGS frame header follows in the same stream */
	memcpy(stream + len, "\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
	len += 9;
	for (size_t piece = 1; piece <= len; piece++) {
		size_t at = 0, rest = 0;
		enum ts2021_early_result r = TS2021_EARLY_MORE;

		ts2021_early_init(&e);
		while (at < len && r == TS2021_EARLY_MORE) {
			n = len - at < piece ? len - at : piece;
			p = stream + at;
			r = ts2021_early_feed(&e, &p, &n);
			at += (size_t)(p - (stream + at));
			rest = n;
		}
		assert_int_equal(r, TS2021_EARLY_DONE);
		assert_true(e.has_payload);
		assert_string_equal(e.json, json);
		/* what is left is HTTP/2's: exactly the frame header */
		assert_int_equal(len - at + rest - rest, 9);
		ts2021_early_free(&e);
	}
	/* no magic: the first 9 bytes are HTTP/2's and come back in e.header */
	ts2021_early_init(&e);
	p = stream + len - 9;
	n = 9;
	assert_int_equal(ts2021_early_feed(&e, &p, &n), TS2021_EARLY_DONE);
	assert_false(e.has_payload);
	assert_int_equal(n, 0);
	assert_memory_equal(e.header, stream + len - 9, 9);
	ts2021_early_free(&e);
	/* a length over the limit is refused, and stays refused */
	ts2021_early_init(&e);
	memcpy(stream, ts2021_early_magic, 5);
	memcpy(stream + 5, "\x00\x01\x00\x01", 4);
	p = stream;
	n = 9;
	assert_int_equal(ts2021_early_feed(&e, &p, &n), TS2021_EARLY_TOO_LONG);
	p = stream;
	n = 9;
	assert_int_equal(ts2021_early_feed(&e, &p, &n), TS2021_EARLY_TOO_LONG);
	ts2021_early_free(&e);
}

static void
test_url(void **state)
{
	struct http_url u;
	const char *why;

	(void)state;
	assert_int_equal(http_url_parse("http://10.77.0.1:8080", &u, &why), 0);
	assert_false(u.tls);
	assert_string_equal(u.host, "10.77.0.1");
	assert_string_equal(u.authority, "10.77.0.1:8080");
	assert_int_equal(u.port, 8080);
	assert_int_equal(u.literal_family, AF_INET);
	assert_int_equal(http_url_parse("https://hs.example.com/", &u, &why), 0);
	assert_true(u.tls);
	assert_int_equal(u.port, 443);
	assert_int_equal(u.literal_family, 0);
	assert_int_equal(http_url_parse("HTTP://[fd00::1]:80", &u, &why), 0);
	assert_string_equal(u.host, "fd00::1");
	assert_string_equal(u.authority, "[fd00::1]:80");
	assert_int_equal(u.literal_family, AF_INET6);
	assert_int_equal(http_url_parse("http://hs.example.com", &u, &why), 0);
	assert_int_equal(u.port, 80);
	assert_int_equal(http_url_parse("ftp://x", &u, &why), -1);
	assert_int_equal(http_url_parse("http://", &u, &why), -1);
	assert_int_equal(http_url_parse("http://x/path", &u, &why), -1);
	assert_int_equal(http_url_parse("http://x?q", &u, &why), -1);
	assert_int_equal(http_url_parse("http://u@x", &u, &why), -1);
	assert_int_equal(http_url_parse("http://x:0", &u, &why), -1);
	assert_int_equal(http_url_parse("http://x:65536", &u, &why), -1);
	assert_int_equal(http_url_parse("http://x:08", &u, &why), -1);
	assert_int_equal(http_url_parse("http://10.0.0.300", &u, &why), -1);
	assert_int_equal(http_url_parse("http://[fd00::1", &u, &why), -1);
	assert_int_equal(http_url_parse("http://bad_host-.x", &u, &why), -1);
	assert_int_equal(http_url_parse("http://a..b", &u, &why), -1);
}

static void
test_http_requests(void **state)
{
	struct http_url u;
	const char *why;
	char out[1024];
	uint8_t init[101];
	int n;

	(void)state;
	assert_int_equal(http_url_parse("http://10.77.0.1:8080", &u, &why), 0);
	n = ts2021_http_key_request(out, sizeof(out), &u, 113);
	assert_true(n > 0);
	assert_non_null(strstr(out, "GET /key?v=113 HTTP/1.1\r\nHost: 10.77.0.1:8080\r\n"));
	memset(init, 0xab, sizeof(init));
	n = ts2021_http_upgrade_request(out, sizeof(out), &u, init, sizeof(init));
	assert_true(n > 0);
	assert_non_null(strstr(out, "POST /ts2021 HTTP/1.1\r\n"));
	assert_non_null(strstr(out, "\r\nUpgrade: tailscale-control-protocol\r\n"));
	assert_non_null(strstr(out, "\r\nConnection: upgrade\r\n"));
	/* 101 bytes in standard base64 with padding: 136 characters */
	assert_non_null(strstr(out, "\r\nX-Tailscale-Handshake: q6ur"));
	assert_non_null(strstr(out, "q6urq6s=\r\n"));
	assert_int_equal(ts2021_http_upgrade_request(out, 100, &u, init, sizeof(init)), -1);
}

static void
test_http_responses(void **state)
{
	static const char upgrade[] = "HTTP/1.1 101 Switching Protocols\r\n"
				      "Upgrade: tailscale-control-protocol\r\n"
				      "Connection: upgrade\r\n\r\n\x02\x00\x30";
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
	static const char sized[] = "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nabcdEXTRA";
	struct ts2021_http_response r;
	static uint8_t decoded[TS2021_HTTP_BODY_MAX];
	const uint8_t *body;
	size_t body_len;

	(void)state;
	assert_int_equal(ts2021_http_parse_response((const uint8_t *)upgrade, sizeof(upgrade) - 1,
						    &r), TS2021_HTTP_DONE);
	assert_int_equal(r.status, 101);
	assert_true(r.upgrade_control);
	/* the Noise response after the head stays for the caller */
	assert_int_equal(sizeof(upgrade) - 1 - r.head_len, 3);
	/* an incomplete head */
	assert_int_equal(ts2021_http_parse_response((const uint8_t *)upgrade, 40, &r),
			 TS2021_HTTP_INCOMPLETE);
	assert_int_equal(ts2021_http_parse_response((const uint8_t *)chunked, sizeof(chunked) - 1,
						    &r), TS2021_HTTP_DONE);
	assert_true(r.chunked);
	assert_int_equal(ts2021_http_body(&r, (const uint8_t *)chunked + r.head_len,
					  sizeof(chunked) - 1 - r.head_len, false, decoded, &body,
					  &body_len), TS2021_HTTP_DONE);
	assert_int_equal(body_len, 11);
	assert_memory_equal(body, "hello world", 11);
	/* every prefix of the chunked body is incomplete, never wrong */
	for (size_t i = 0; i < sizeof(chunked) - 1 - r.head_len; i++)
		assert_int_equal(ts2021_http_body(&r, (const uint8_t *)chunked + r.head_len, i,
						  false, decoded, &body, &body_len),
				 TS2021_HTTP_INCOMPLETE);
	assert_int_equal(ts2021_http_parse_response((const uint8_t *)sized, sizeof(sized) - 1, &r),
			 TS2021_HTTP_DONE);
	assert_int_equal(ts2021_http_body(&r, (const uint8_t *)sized + r.head_len, 2, false,
					  decoded, &body, &body_len), TS2021_HTTP_INCOMPLETE);
	assert_int_equal(ts2021_http_body(&r, (const uint8_t *)sized + r.head_len, 2, true,
					  decoded, &body, &body_len), TS2021_HTTP_BAD);
	assert_int_equal(ts2021_http_body(&r, (const uint8_t *)sized + r.head_len, 9, false,
					  decoded, &body, &body_len), TS2021_HTTP_DONE);
	assert_int_equal(body_len, 4);
	/* malformed heads */
	assert_int_equal(ts2021_http_parse_response((const uint8_t *)"HTTP/2 200 OK\r\n\r\n", 17,
						    &r), TS2021_HTTP_BAD);
	assert_int_equal(ts2021_http_parse_response(
				 (const uint8_t *)"HTTP/1.1 200 OK\r\nbad header\r\n\r\n", 31, &r),
			 TS2021_HTTP_BAD);
	assert_int_equal(ts2021_http_parse_response(
				 (const uint8_t *)"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 38,
				 &r), TS2021_HTTP_BAD);
	{
		static char big[TS2021_HTTP_HEAD_MAX + 10];

		memset(big, 'a', sizeof(big));
		memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
		assert_int_equal(ts2021_http_parse_response((const uint8_t *)big, sizeof(big), &r),
				 TS2021_HTTP_TOO_LONG);
	}
	/* a body over 64 KiB */
	assert_int_equal(ts2021_http_parse_response(
				 (const uint8_t *)"HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n",
				 42, &r), TS2021_HTTP_DONE);
	assert_int_equal(ts2021_http_body(&r, decoded, 10, false, decoded, &body, &body_len),
			 TS2021_HTTP_TOO_LONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prologue),
		cmocka_unit_test(test_initiation_layout),
		cmocka_unit_test(test_handshake_keys),
		cmocka_unit_test(test_wrong_server_key),
		cmocka_unit_test(test_response_framing),
		cmocka_unit_test(test_big_endian_nonce),
		cmocka_unit_test(test_records_split_and_merged),
		cmocka_unit_test(test_records_refused),
		cmocka_unit_test(test_early_payload),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_http_requests),
		cmocka_unit_test(test_http_responses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
