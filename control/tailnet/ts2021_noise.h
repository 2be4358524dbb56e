/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ts2021 Noise IK handshake, initiator side, and the transport cipher states it yields
 * (Tailscale control/controlbase; tailnet.md §1.4-1.5). Pure: no sockets, no clock, no heap; the
 * caller passes the ephemeral key (tests pass a fixed one) and moves the bytes.
 *
 *   Noise_IK_25519_ChaChaPoly_BLAKE2s, prologue "Tailscale Control Protocol v<version>".
 *   initiation (101 B): version u16 BE | 0x01 | len u16 BE = 96 | e[32] | enc(s)[48] | tag[16]
 *   response   (51 B):  0x02 | len u16 BE = 48 | re[32] | tag[16]
 *   error:             0x03 | len u16 BE | text (unauthenticated: a hint, never trusted)
 *
 * Transport nonces are 4 zero bytes then a 64-bit BIG-endian counter (controlbase/conn.go),
 * unlike the little-endian counter of the Noise specification and of WireGuard. The counter
 * value 2^64-1 is never used: the cipher is exhausted before it.
 *
 * Concurrency: the structs belong to one caller; struct wg_crypto is the caller's (one thread).
 */
#ifndef EXITGATE_TS2021_NOISE_H
#define EXITGATE_TS2021_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_crypto;

enum {
	TS2021_KEY_LEN = 32,
	TS2021_TAG_LEN = 16,
	TS2021_NONCE_LEN = 12,
	TS2021_HEADER_LEN = 3,            /* type + u16 BE length */
	TS2021_INITIATION_HEADER_LEN = 5, /* version u16 BE + type + u16 BE length */
	TS2021_INITIATION_LEN = 101,
	TS2021_RESPONSE_LEN = 51,
	TS2021_MSG_INITIATION = 1,
	TS2021_MSG_RESPONSE = 2,
	TS2021_MSG_ERROR = 3,
	TS2021_MSG_RECORD = 4,
};

/* What the initiator keeps between sending the initiation and reading the response. */
struct ts2021_handshake {
	uint8_t h[TS2021_KEY_LEN];  /* handshake hash */
	uint8_t ck[TS2021_KEY_LEN]; /* chaining key */
	uint8_t ephemeral_private[TS2021_KEY_LEN];
	uint8_t machine_private[TS2021_KEY_LEN];
	uint16_t version;
};

/* One direction of the transport. */
struct ts2021_cipher {
	uint8_t key[TS2021_KEY_LEN];
	uint64_t counter; /* the next nonce */
};

struct ts2021_session {
	struct ts2021_cipher tx;
	struct ts2021_cipher rx;
	uint8_t handshake_hash[TS2021_KEY_LEN];
};

enum ts2021_response_result {
	TS2021_RESPONSE_OK = 0,
	TS2021_RESPONSE_SERVER_ERROR = 1, /* a type 3 message: text in the buffer after the header */
	TS2021_RESPONSE_BAD_TYPE = -1,
	TS2021_RESPONSE_BAD_LENGTH = -2,
	TS2021_RESPONSE_BAD_KEY = -3, /* a DH with the server's ephemeral key gave all zeros */
	TS2021_RESPONSE_BAD_TAG = -4, /* not from the server whose key we hold */
	TS2021_RESPONSE_CRYPTO = -5,  /* OpenSSL failed (out of memory) */
};

/* "Tailscale Control Protocol v<version>" without a NUL; returns its length. */
size_t ts2021_prologue(char out[40], uint16_t version);

/*
 * Build the initiation for a server whose static key is control_public, from our machine key
 * and a fresh ephemeral private key (clamped here). hs receives what the response needs.
 * Returns 0, or -1 when a key gives an all-zero DH or OpenSSL fails (hs wiped).
 */
int ts2021_initiation(struct ts2021_handshake *hs, struct wg_crypto *c,
		      const uint8_t machine_private[TS2021_KEY_LEN],
		      const uint8_t control_public[TS2021_KEY_LEN],
		      const uint8_t ephemeral_private[TS2021_KEY_LEN], uint16_t version,
		      uint8_t out[TS2021_INITIATION_LEN]);

/*
 * How many bytes the server's answer takes, from the first bytes of it: 0 while fewer than 3
 * are there, else 51 for a response or 3 + length for an error; -1 for any other type or a
 * response whose length is not 48.
 */
long ts2021_response_length(const uint8_t *data, size_t len);

/*
 * Finish the handshake with the server's complete answer (ts2021_response_length bytes).
 * On TS2021_RESPONSE_OK, session holds the transport keys (tx = k1, rx = k2). hs is wiped in
 * every case: a handshake is used once.
 */
enum ts2021_response_result ts2021_response(struct ts2021_handshake *hs, struct wg_crypto *c,
					    const uint8_t *data, size_t len,
					    struct ts2021_session *session);

/* The 12-byte transport nonce of a counter: 4 zero bytes then the counter BE. */
void ts2021_nonce(uint8_t out[TS2021_NONCE_LEN], uint64_t counter);

/* Seal plaintext into out (len + 16 bytes) with the next nonce; -1 when exhausted. */
int ts2021_cipher_seal(struct ts2021_cipher *tx, uint8_t *out, const uint8_t *plaintext,
		       size_t len);
/* Open ciphertext (len >= 16, tag included) into out (len - 16 bytes); -1 when it does not
 * verify or the cipher is exhausted. The counter advances either way, as in controlbase. */
int ts2021_cipher_open(struct ts2021_cipher *rx, uint8_t *out, const uint8_t *ciphertext,
		       size_t len);

void ts2021_session_wipe(struct ts2021_session *session);

#endif
