/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake's primitives, all from libraries: BLAKE2s-256 and keyed BLAKE2s (OpenSSL 3
 * EVP_MD "BLAKE2S-256", EVP_MAC "BLAKE2SMAC"), HMAC-BLAKE2s (EVP_MAC "HMAC") and the WireGuard
 * KDF on top, X25519 and (X)ChaCha20-Poly1305 from libsodium, TAI64N.
 *
 * The EVP algorithm objects are fetched once per process (wg_crypto_new does it under
 * pthread_once). Contexts are per caller: one struct wg_crypto belongs to one thread. Functions
 * that can fail return 0 or -1; the OpenSSL ones fail only when out of memory.
 */
#ifndef EXITGATE_WG_CRYPTO_H
#define EXITGATE_WG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "messages.h"

struct wg_crypto;

/* A caller's contexts; NULL (logged) when OpenSSL or libsodium cannot be set up. */
struct wg_crypto *wg_crypto_new(void);
void wg_crypto_free(struct wg_crypto *c);

/* BLAKE2s-256(a || b); b may be NULL with b_len 0. */
int wg_crypto_hash(struct wg_crypto *c, uint8_t out[WG_HASH_LEN], const uint8_t *a, size_t a_len,
		   const uint8_t *b, size_t b_len);
/* Keyed BLAKE2s with out_len 16 (mac1, mac2, cookies) or 32; key_len 1..32. */
int wg_crypto_mac(struct wg_crypto *c, uint8_t *out, size_t out_len, const uint8_t *key,
		  size_t key_len, const uint8_t *data, size_t data_len);
/* HMAC-BLAKE2s(key, a || b), 32 bytes. */
int wg_crypto_hmac(struct wg_crypto *c, uint8_t out[WG_HASH_LEN], const uint8_t *key,
		   size_t key_len, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);
/*
 * The WireGuard KDF (HKDF with HMAC-BLAKE2s and empty info): T0 = HMAC(key, input),
 * T1 = HMAC(T0, 0x1), Ti = HMAC(T0, Ti-1 || i). Writes T1 to t1 and, when not NULL, T2 and T3
 * (KDF1/2/3). The outputs may alias key.
 */
int wg_crypto_kdf(struct wg_crypto *c, uint8_t t1[WG_HASH_LEN], uint8_t *t2, uint8_t *t3,
		  const uint8_t key[WG_HASH_LEN], const uint8_t *input, size_t input_len);

/* X25519: -1 when the result is all zeros (a low-order point), with out wiped. */
int wg_crypto_x25519(uint8_t out[WG_KEY_LEN], const uint8_t private_key[WG_KEY_LEN],
		     const uint8_t public_key[WG_KEY_LEN]);
/* Clamp a private key as X25519 uses it (RFC 7748). */
void wg_crypto_clamp(uint8_t private_key[WG_KEY_LEN]);
/* The public key of a private key; -1 when the key makes no usable public key. */
int wg_crypto_public_key(uint8_t public_key[WG_KEY_LEN], const uint8_t private_key[WG_KEY_LEN]);
/* A fresh clamped key pair from the environment's random source. */
int wg_crypto_generate_keypair(const struct wg_env *env, uint8_t private_key[WG_KEY_LEN],
			       uint8_t public_key[WG_KEY_LEN]);

/* ChaCha20-Poly1305 IETF with nonce 4 zero bytes + LE64 counter: out = ciphertext || tag
 * (in_len + 16 bytes). Open takes in_len including the tag and returns -1 when it does not
 * verify (out wiped). */
void wg_crypto_aead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter,
			 const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len);
int wg_crypto_aead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter,
			const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len);
/* XChaCha20-Poly1305 with a 24-byte nonce (cookie replies), same conventions. */
void wg_crypto_xaead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN],
			  const uint8_t nonce[WG_XAEAD_NONCE_LEN], const uint8_t *in, size_t in_len,
			  const uint8_t *ad, size_t ad_len);
int wg_crypto_xaead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN],
			 const uint8_t nonce[WG_XAEAD_NONCE_LEN], const uint8_t *in, size_t in_len,
			 const uint8_t *ad, size_t ad_len);

/*
 * TAI64N of a wall-clock time: BE64 (2^62 + 10 + seconds) then BE32 nanoseconds. Nanoseconds are
 * rounded down to a multiple of 2^24 (about 16.8 ms, under the 20 ms between accepted
 * initiations) so the timestamp does not leak the precise clock.
 */
void wg_crypto_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t realtime_ns);

/* Constant-time equality of secrets or MACs. */
bool wg_crypto_equal(const uint8_t *a, const uint8_t *b, size_t len);
/* Constant-time: true when all len bytes are zero. */
bool wg_crypto_is_zero(const uint8_t *a, size_t len);

#endif
