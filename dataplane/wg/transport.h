/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Type-4 transport data: ChaCha20-Poly1305 (RFC 8439) with Intel ipsec-mb, and the 16-byte
 * framing around it.
 *
 * A message is: header (type 4, receiver index, LE64 counter), the padded plaintext encrypted
 * in place, the 16-byte tag. The nonce is 4 zero bytes + the LE64 counter; there is no AAD.
 * Plaintext is zero-padded to min(align16(len), mtu).
 *
 * Concurrency: one struct wg_transport_ctx per thread (it owns an IMB_MGR and scratch space);
 * nothing here is shared. The per-packet functions allocate nothing, take no lock and make no
 * system call. Opening verifies the tag in constant time (crypto_verify_16) and wipes the decrypted
 * bytes of a packet whose tag does not verify, so a failed packet never holds plaintext.
 */
#ifndef EXITGATE_WG_TRANSPORT_H
#define EXITGATE_WG_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "messages.h"

enum {
	WG_TRANSPORT_BURST_MAX = 32, /* a burst function handles more in chunks of this size */
};

enum wg_transport_status {
	WG_TRANSPORT_OK = 0,
	WG_TRANSPORT_AUTH_FAILED = -1, /* tag mismatch: the payload was wiped */
	WG_TRANSPORT_ERROR = -2,       /* ipsec-mb refused the job: the payload was wiped */
};

struct wg_transport_ctx {
	IMB_MGR *mgr;
	/* Per burst slot: the nonce and, when opening, the tag ipsec-mb computed. ipsec-mb reads
	 * and writes them until the job completes, so they live here and not on the stack. */
	uint8_t nonce[WG_TRANSPORT_BURST_MAX][WG_AEAD_NONCE_LEN];
	uint8_t computed_tag[WG_TRANSPORT_BURST_MAX][WG_AEAD_TAG_LEN];
};

/* Setup (not per packet): allocate the IMB_MGR and let ipsec-mb pick the best code for this CPU
 * (AVX-512 on Zen 4). Returns 0, or -1 (logged). */
int wg_transport_ctx_init(struct wg_transport_ctx *ctx);
void wg_transport_ctx_fini(struct wg_transport_ctx *ctx);
/* The ipsec-mb code path in use ("AVX512", "AVX2", ...), for logs and benchmarks. */
const char *wg_transport_ctx_arch(const struct wg_transport_ctx *ctx);

/* ---- Generic ChaCha20-Poly1305 AEAD, in place (for tests against RFC 8439, and below). ---- */

struct wg_aead_op {
	const uint8_t *key;   /* 32 bytes */
	const uint8_t *nonce; /* 12 bytes */
	const uint8_t *aad;
	size_t aad_len;
	uint8_t *data; /* plaintext in, ciphertext out (seal); the reverse (open) */
	size_t len;
	uint8_t *tag; /* seal: written; open: the received tag */
	int status;   /* enum wg_transport_status, set by the burst functions */
};

/* Single operation through ipsec-mb's direct API. Open returns a wg_transport_status. */
void wg_aead_seal(struct wg_transport_ctx *ctx, struct wg_aead_op *op);
int wg_aead_open(struct wg_transport_ctx *ctx, struct wg_aead_op *op);
/* n operations through the job API (get_next_job / submit_job / flush_job). Each op's nonce
 * must stay valid until the call returns. Return how many have status WG_TRANSPORT_OK. */
unsigned wg_aead_seal_burst(struct wg_transport_ctx *ctx, struct wg_aead_op *ops, unsigned n);
unsigned wg_aead_open_burst(struct wg_transport_ctx *ctx, struct wg_aead_op *ops, unsigned n);

/* ---- WireGuard type-4 messages. ---- */

/* The length plaintext_len is padded to: min(align16(len), mtu), never less than len. */
static inline size_t
wg_transport_padded_len(size_t plaintext_len, size_t mtu)
{
	size_t aligned =
		(plaintext_len + WG_PADDING_MULTIPLE - 1) & ~(size_t)(WG_PADDING_MULTIPLE - 1);

	if (plaintext_len >= mtu)
		return plaintext_len;
	return aligned < mtu ? aligned : mtu;
}

/* The message length of a sealed plaintext: header + padded payload + tag. */
static inline size_t
wg_transport_message_len(size_t plaintext_len, size_t mtu)
{
	return WG_MSG_TRANSPORT_HEADER_LEN + wg_transport_padded_len(plaintext_len, mtu) +
	       WG_AEAD_TAG_LEN;
}

/* Write the 16-byte header at msg. */
void wg_transport_header_write(uint8_t *msg, uint32_t receiver, uint64_t counter);
/* Parse the header of a datagram: 0 when it is a type-4 message of valid length (>= 32 bytes,
 * reserved bytes zero), else -1. */
int wg_transport_header_parse(const uint8_t *msg, size_t len, uint32_t *receiver,
			      uint64_t *counter);

/*
 * Seal in place: msg[16 .. 16 + plaintext_len) holds the plaintext; the buffer must hold
 * wg_transport_message_len(plaintext_len, mtu) bytes. Pads, encrypts, writes the tag and the
 * header. Returns the message length.
 */
size_t wg_transport_seal(struct wg_transport_ctx *ctx, const uint8_t key[WG_KEY_LEN],
			 uint32_t receiver, uint64_t counter, uint8_t *msg, size_t plaintext_len,
			 size_t mtu);
/*
 * Open in place a message of msg_len >= 32 bytes whose header the caller parsed (counter):
 * WG_TRANSPORT_OK and the padded plaintext at msg + 16 (msg_len - 32 bytes), or
 * WG_TRANSPORT_AUTH_FAILED with that range wiped.
 */
int wg_transport_open(struct wg_transport_ctx *ctx, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		      uint8_t *msg, size_t msg_len);

struct wg_transport_op {
	const uint8_t *key;   /* the keypair's send key (seal) or receive key (open) */
	uint8_t *msg;         /* the message: header, payload, tag */
	uint32_t payload_len; /* seal: plaintext length in, padded length out; open: msg_len - 32 */
	uint32_t receiver;    /* seal: the peer's index, written into the header */
	uint64_t counter;     /* seal: the nonce to use; open: parsed from the header */
	int status;           /* enum wg_transport_status */
};

/* Burst forms of seal and open through the job API; each returns how many succeeded. */
unsigned wg_transport_seal_burst(struct wg_transport_ctx *ctx, struct wg_transport_op *ops,
				 unsigned n, size_t mtu);
unsigned wg_transport_open_burst(struct wg_transport_ctx *ctx, struct wg_transport_op *ops,
				 unsigned n);

#endif
