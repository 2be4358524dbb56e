/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Noise IK initiator of ts2021 on the WireGuard module's primitives: BLAKE2s, HMAC-BLAKE2s
 * and the HKDF on top of it are the same functions WireGuard's Noise uses (control/wg/crypto.h);
 * X25519 and ChaCha20-Poly1305 IETF come from libsodium.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "ts2021_noise.h"

static const char protocol_name[] = "Noise_IK_25519_ChaChaPoly_BLAKE2s";

size_t
ts2021_prologue(char out[40], uint16_t version)
{
	int n = snprintf(out, 40, "Tailscale Control Protocol v%u", (unsigned int)version);

	return n > 0 ? (size_t)n : 0;
}

static int
mix_hash(struct wg_crypto *c, uint8_t h[TS2021_KEY_LEN], const uint8_t *data, size_t len)
{
	return wg_crypto_hash(c, h, h, TS2021_KEY_LEN, data, len);
}

/* ck, k = HKDF(ck, X25519(priv, pub)); -1 on an all-zero DH. */
static int
mix_dh(struct wg_crypto *c, uint8_t ck[TS2021_KEY_LEN], uint8_t k[TS2021_KEY_LEN],
       const uint8_t priv[TS2021_KEY_LEN], const uint8_t pub[TS2021_KEY_LEN])
{
	uint8_t dh[TS2021_KEY_LEN];
	int rc;

	if (wg_crypto_x25519(dh, priv, pub) < 0)
		return -1;
	rc = wg_crypto_kdf(c, ck, k, NULL, ck, dh, sizeof(dh));
	sodium_memzero(dh, sizeof(dh));
	return rc;
}

/* The handshake's one-use keys always take nonce 0; the hash is the associated data. */
static int
encrypt_and_hash(struct wg_crypto *c, uint8_t h[TS2021_KEY_LEN], const uint8_t k[TS2021_KEY_LEN],
		 uint8_t *out, const uint8_t *plaintext, size_t len)
{
	wg_crypto_aead_seal(out, k, 0, plaintext, len, h, TS2021_KEY_LEN);
	return mix_hash(c, h, out, len + TS2021_TAG_LEN);
}

int
ts2021_initiation(struct ts2021_handshake *hs, struct wg_crypto *c,
		  const uint8_t machine_private[TS2021_KEY_LEN],
		  const uint8_t control_public[TS2021_KEY_LEN],
		  const uint8_t ephemeral_private[TS2021_KEY_LEN], uint16_t version,
		  uint8_t out[TS2021_INITIATION_LEN])
{
	uint8_t machine_public[TS2021_KEY_LEN], k[TS2021_KEY_LEN];
	uint8_t *ephemeral_public = out + TS2021_INITIATION_HEADER_LEN;
	uint8_t *sealed_static = ephemeral_public + TS2021_KEY_LEN;
	uint8_t *tag = sealed_static + TS2021_KEY_LEN + TS2021_TAG_LEN;
	char prologue[40];
	size_t prologue_len = ts2021_prologue(prologue, version);
	int rc = -1;

	memset(hs, 0, sizeof(*hs));
	hs->version = version;
	memcpy(hs->machine_private, machine_private, TS2021_KEY_LEN);
	memcpy(hs->ephemeral_private, ephemeral_private, TS2021_KEY_LEN);
	wg_crypto_clamp(hs->ephemeral_private);
	out[0] = (uint8_t)(version >> 8);
	out[1] = (uint8_t)version;
	out[2] = TS2021_MSG_INITIATION;
	out[3] = 0;
	out[4] = TS2021_INITIATION_LEN - TS2021_INITIATION_HEADER_LEN;

	if (wg_crypto_hash(c, hs->h, (const uint8_t *)protocol_name, sizeof(protocol_name) - 1,
			   NULL, 0) < 0)
		goto out;
	memcpy(hs->ck, hs->h, TS2021_KEY_LEN);
	if (mix_hash(c, hs->h, (const uint8_t *)prologue, prologue_len) < 0 ||
	    mix_hash(c, hs->h, control_public, TS2021_KEY_LEN) < 0)
		goto out;
	/* e */
	if (wg_crypto_public_key(ephemeral_public, hs->ephemeral_private) < 0 ||
	    mix_hash(c, hs->h, ephemeral_public, TS2021_KEY_LEN) < 0)
		goto out;
	/* es, s */
	if (mix_dh(c, hs->ck, k, hs->ephemeral_private, control_public) < 0 ||
	    wg_crypto_public_key(machine_public, machine_private) < 0 ||
	    encrypt_and_hash(c, hs->h, k, sealed_static, machine_public, TS2021_KEY_LEN) < 0)
		goto out;
	/* ss, and the empty payload's tag */
	if (mix_dh(c, hs->ck, k, machine_private, control_public) < 0 ||
	    encrypt_and_hash(c, hs->h, k, tag, NULL, 0) < 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(k, sizeof(k));
	if (rc < 0)
		sodium_memzero(hs, sizeof(*hs));
	return rc;
}

long
ts2021_response_length(const uint8_t *data, size_t len)
{
	size_t body;

	if (len < TS2021_HEADER_LEN)
		return 0;
	body = (size_t)data[1] << 8 | data[2];
	switch (data[0]) {
	case TS2021_MSG_RESPONSE:
		return body == TS2021_RESPONSE_LEN - TS2021_HEADER_LEN ? TS2021_RESPONSE_LEN : -1;
	case TS2021_MSG_ERROR:
		return (long)(TS2021_HEADER_LEN + body);
	default:
		return -1;
	}
}

enum ts2021_response_result
ts2021_response(struct ts2021_handshake *hs, struct wg_crypto *c, const uint8_t *data, size_t len,
		struct ts2021_session *session)
{
	const uint8_t *remote_ephemeral = data + TS2021_HEADER_LEN;
	const uint8_t *tag = remote_ephemeral + TS2021_KEY_LEN;
	uint8_t k[TS2021_KEY_LEN], empty = 0;
	enum ts2021_response_result rc;

	memset(session, 0, sizeof(*session));
	if (len < TS2021_HEADER_LEN) {
		rc = TS2021_RESPONSE_BAD_LENGTH;
		goto out;
	}
	if (data[0] == TS2021_MSG_ERROR) {
		rc = TS2021_RESPONSE_SERVER_ERROR;
		goto out;
	}
	if (data[0] != TS2021_MSG_RESPONSE) {
		rc = TS2021_RESPONSE_BAD_TYPE;
		goto out;
	}
	if (len != TS2021_RESPONSE_LEN || ts2021_response_length(data, len) != TS2021_RESPONSE_LEN) {
		rc = TS2021_RESPONSE_BAD_LENGTH;
		goto out;
	}
	rc = TS2021_RESPONSE_CRYPTO;
	if (mix_hash(c, hs->h, remote_ephemeral, TS2021_KEY_LEN) < 0)
		goto out;
	/* ee: its key is not used, but it moves the chaining key */
	if (mix_dh(c, hs->ck, k, hs->ephemeral_private, remote_ephemeral) < 0) {
		rc = TS2021_RESPONSE_BAD_KEY;
		goto out;
	}
	/* se */
	if (mix_dh(c, hs->ck, k, hs->machine_private, remote_ephemeral) < 0) {
		rc = TS2021_RESPONSE_BAD_KEY;
		goto out;
	}
	if (wg_crypto_aead_open(&empty, k, 0, tag, TS2021_TAG_LEN, hs->h, TS2021_KEY_LEN) < 0) {
		rc = TS2021_RESPONSE_BAD_TAG;
		goto out;
	}
	if (mix_hash(c, hs->h, tag, TS2021_TAG_LEN) < 0)
		goto out;
	/* Split: the initiator sends with k1 and receives with k2 */
	if (wg_crypto_kdf(c, session->tx.key, session->rx.key, NULL, hs->ck, &empty, 0) < 0)
		goto out;
	memcpy(session->handshake_hash, hs->h, TS2021_KEY_LEN);
	rc = TS2021_RESPONSE_OK;
out:
	sodium_memzero(k, sizeof(k));
	sodium_memzero(hs, sizeof(*hs));
	if (rc != TS2021_RESPONSE_OK)
		ts2021_session_wipe(session);
	return rc;
}

void
ts2021_nonce(uint8_t out[TS2021_NONCE_LEN], uint64_t counter)
{
	uint64_t be = htobe64(counter);

	memset(out, 0, 4);
	memcpy(out + 4, &be, sizeof(be));
}

int
ts2021_cipher_seal(struct ts2021_cipher *tx, uint8_t *out, const uint8_t *plaintext, size_t len)
{
	uint8_t nonce[TS2021_NONCE_LEN];

	if (tx->counter == UINT64_MAX)
		return -1;
	ts2021_nonce(nonce, tx->counter++);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, plaintext, len, NULL, 0, NULL, nonce,
						  tx->key);
	return 0;
}

int
ts2021_cipher_open(struct ts2021_cipher *rx, uint8_t *out, const uint8_t *ciphertext, size_t len)
{
	uint8_t nonce[TS2021_NONCE_LEN];

	if (rx->counter == UINT64_MAX || len < TS2021_TAG_LEN)
		return -1;
	ts2021_nonce(nonce, rx->counter++);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ciphertext, len, NULL, 0,
						      nonce, rx->key) != 0)
		return -1;
	return 0;
}

void
ts2021_session_wipe(struct ts2021_session *session)
{
	sodium_memzero(session, sizeof(*session));
}
