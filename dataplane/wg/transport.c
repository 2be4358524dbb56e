/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <sodium.h>

#include "log.h"
#include "transport.h"

/* Tags are compared with libsodium's constant-time 16-byte compare (SIMD), not sodium_memcmp
 * (a byte loop through volatile memory: about 50 instructions per packet). */
_Static_assert(WG_AEAD_TAG_LEN == crypto_verify_16_BYTES, "a Poly1305 tag is 16 bytes");

int
wg_transport_ctx_init(struct wg_transport_ctx *ctx)
{
	IMB_ARCH arch;

	memset(ctx, 0, sizeof(*ctx));
	ctx->mgr = alloc_mb_mgr(0);
	if (ctx->mgr == NULL) {
		log_warn("wg transport: alloc_mb_mgr: out of memory");
		return -1;
	}
	init_mb_mgr_auto(ctx->mgr, &arch);
	if (imb_get_errno(ctx->mgr) != 0) {
		log_warn("wg transport: init_mb_mgr_auto: %s",
			 imb_get_strerror(imb_get_errno(ctx->mgr)));
		free_mb_mgr(ctx->mgr);
		ctx->mgr = NULL;
		return -1;
	}
	return 0;
}

void
wg_transport_ctx_fini(struct wg_transport_ctx *ctx)
{
	if (ctx->mgr != NULL)
		free_mb_mgr(ctx->mgr);
	sodium_memzero(ctx, sizeof(*ctx));
}

const char *
wg_transport_ctx_arch(const struct wg_transport_ctx *ctx)
{
	switch (ctx->mgr->used_arch) {
	case IMB_ARCH_NOAESNI:
		return "NOAESNI";
	case IMB_ARCH_SSE:
		return "SSE";
	case IMB_ARCH_AVX:
		return "AVX";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX512:
		return "AVX512";
	default:
		return "unknown";
	}
}

/* ---- Generic AEAD ---- */

void
wg_aead_seal(struct wg_transport_ctx *ctx, struct wg_aead_op *op)
{
	struct chacha20_poly1305_context_data state;

	IMB_CHACHA20_POLY1305_INIT(ctx->mgr, op->key, &state, op->nonce, op->aad, op->aad_len);
	IMB_CHACHA20_POLY1305_ENC_UPDATE(ctx->mgr, op->key, &state, op->data, op->data, op->len);
	IMB_CHACHA20_POLY1305_ENC_FINALIZE(ctx->mgr, &state, op->tag, WG_AEAD_TAG_LEN);
	sodium_memzero(&state, sizeof(state)); /* holds keystream and the Poly1305 key */
	op->status = WG_TRANSPORT_OK;
}

int
wg_aead_open(struct wg_transport_ctx *ctx, struct wg_aead_op *op)
{
	struct chacha20_poly1305_context_data state;
	uint8_t computed[WG_AEAD_TAG_LEN];

	IMB_CHACHA20_POLY1305_INIT(ctx->mgr, op->key, &state, op->nonce, op->aad, op->aad_len);
	IMB_CHACHA20_POLY1305_DEC_UPDATE(ctx->mgr, op->key, &state, op->data, op->data, op->len);
	IMB_CHACHA20_POLY1305_DEC_FINALIZE(ctx->mgr, &state, computed, WG_AEAD_TAG_LEN);
	sodium_memzero(&state, sizeof(state));
	if (crypto_verify_16(computed, op->tag) != 0) {
		sodium_memzero(op->data, op->len);
		op->status = WG_TRANSPORT_AUTH_FAILED;
	} else {
		op->status = WG_TRANSPORT_OK;
	}
	return op->status;
}

static void
job_fill(IMB_JOB *job, struct wg_aead_op *op, bool seal, uint8_t *tag_out)
{
	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	job->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = seal ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = op->key;
	job->dec_keys = op->key;
	job->key_len_in_bytes = WG_KEY_LEN;
	job->src = op->data;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = op->nonce;
	job->iv_len_in_bytes = WG_AEAD_NONCE_LEN;
	job->u.CHACHA20_POLY1305.aad = op->aad;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = op->aad_len;
	job->auth_tag_output = tag_out;
	job->auth_tag_output_len_in_bytes = WG_AEAD_TAG_LEN;
	job->user_data = op;
}

/* Finish one completed job; returns 1 when its op succeeded. */
static unsigned
job_complete(IMB_JOB *job, bool seal)
{
	struct wg_aead_op *op = job->user_data;

	if (job->status != IMB_STATUS_COMPLETED) {
		if (!seal)
			sodium_memzero(op->data, op->len);
		op->status = WG_TRANSPORT_ERROR;
		return 0;
	}
	if (!seal && crypto_verify_16(job->auth_tag_output, op->tag) != 0) {
		sodium_memzero(op->data, op->len);
		op->status = WG_TRANSPORT_AUTH_FAILED;
		return 0;
	}
	op->status = WG_TRANSPORT_OK;
	return 1;
}

static unsigned
aead_burst(struct wg_transport_ctx *ctx, struct wg_aead_op *ops, unsigned n, bool seal)
{
	unsigned ok = 0;
	unsigned base = 0;

	while (base < n) {
		unsigned chunk =
			n - base < WG_TRANSPORT_BURST_MAX ? n - base : WG_TRANSPORT_BURST_MAX;
		unsigned i;
		IMB_JOB *job;

		for (i = 0; i < chunk; i++) {
			struct wg_aead_op *op = &ops[base + i];

			job = IMB_GET_NEXT_JOB(ctx->mgr);
			job_fill(job, op, seal, seal ? op->tag : ctx->computed_tag[i]);
			job = IMB_SUBMIT_JOB(ctx->mgr);
			while (job != NULL) {
				ok += job_complete(job, seal);
				job = IMB_GET_COMPLETED_JOB(ctx->mgr);
			}
		}
		/* Drain the manager: nothing of this chunk may outlive the computed_tag slots. */
		while ((job = IMB_FLUSH_JOB(ctx->mgr)) != NULL)
			ok += job_complete(job, seal);
		base += chunk;
	}
	if (!seal)
		sodium_memzero(ctx->computed_tag, sizeof(ctx->computed_tag));
	return ok;
}

unsigned
wg_aead_seal_burst(struct wg_transport_ctx *ctx, struct wg_aead_op *ops, unsigned n)
{
	return aead_burst(ctx, ops, n, true);
}

unsigned
wg_aead_open_burst(struct wg_transport_ctx *ctx, struct wg_aead_op *ops, unsigned n)
{
	return aead_burst(ctx, ops, n, false);
}

/* ---- Type-4 messages ---- */

static inline void
nonce_from_counter(uint8_t nonce[WG_AEAD_NONCE_LEN], uint64_t counter)
{
	uint64_t le = htole64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, sizeof(le));
}

void
wg_transport_header_write(uint8_t *msg, uint32_t receiver, uint64_t counter)
{
	struct wg_msg_transport_header h = {
		.type = htole32(WG_MSG_TRANSPORT),
		.receiver = htole32(receiver),
		.counter = htole64(counter),
	};

	memcpy(msg, &h, sizeof(h));
}

int
wg_transport_header_parse(const uint8_t *msg, size_t len, uint32_t *receiver, uint64_t *counter)
{
	struct wg_msg_transport_header h;

	if (wg_message_classify(msg, len) != WG_MSG_TRANSPORT)
		return -1;
	memcpy(&h, msg, sizeof(h));
	*receiver = le32toh(h.receiver);
	*counter = le64toh(h.counter);
	return 0;
}

size_t
wg_transport_seal(struct wg_transport_ctx *ctx, const uint8_t key[WG_KEY_LEN], uint32_t receiver,
		  uint64_t counter, uint8_t *msg, size_t plaintext_len, size_t mtu)
{
	size_t padded = wg_transport_padded_len(plaintext_len, mtu);
	uint8_t *payload = msg + WG_MSG_TRANSPORT_HEADER_LEN;
	uint8_t nonce[WG_AEAD_NONCE_LEN];
	struct wg_aead_op op = {
		.key = key,
		.nonce = nonce,
		.data = payload,
		.len = padded,
		.tag = payload + padded,
	};

	memset(payload + plaintext_len, 0, padded - plaintext_len);
	nonce_from_counter(nonce, counter);
	wg_aead_seal(ctx, &op);
	wg_transport_header_write(msg, receiver, counter);
	return WG_MSG_TRANSPORT_HEADER_LEN + padded + WG_AEAD_TAG_LEN;
}

int
wg_transport_open(struct wg_transport_ctx *ctx, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		  uint8_t *msg, size_t msg_len)
{
	size_t payload_len = msg_len - WG_MSG_TRANSPORT_MIN_LEN;
	uint8_t *payload = msg + WG_MSG_TRANSPORT_HEADER_LEN;
	uint8_t nonce[WG_AEAD_NONCE_LEN];
	struct wg_aead_op op = {
		.key = key,
		.nonce = nonce,
		.data = payload,
		.len = payload_len,
		.tag = payload + payload_len,
	};

	if (msg_len < WG_MSG_TRANSPORT_MIN_LEN)
		return WG_TRANSPORT_ERROR; /* not even a tag: nothing was decrypted */
	nonce_from_counter(nonce, counter);
	return wg_aead_open(ctx, &op);
}

unsigned
wg_transport_seal_burst(struct wg_transport_ctx *ctx, struct wg_transport_op *ops, unsigned n,
			size_t mtu)
{
	struct wg_aead_op aead[WG_TRANSPORT_BURST_MAX];
	unsigned ok = 0;
	unsigned base = 0;

	while (base < n) {
		unsigned chunk =
			n - base < WG_TRANSPORT_BURST_MAX ? n - base : WG_TRANSPORT_BURST_MAX;
		unsigned i;

		for (i = 0; i < chunk; i++) {
			struct wg_transport_op *op = &ops[base + i];
			uint8_t *payload = op->msg + WG_MSG_TRANSPORT_HEADER_LEN;
			size_t padded = wg_transport_padded_len(op->payload_len, mtu);

			memset(payload + op->payload_len, 0, padded - op->payload_len);
			op->payload_len = (uint32_t)padded;
			nonce_from_counter(ctx->nonce[i], op->counter);
			aead[i] = (struct wg_aead_op){
				.key = op->key,
				.nonce = ctx->nonce[i],
				.data = payload,
				.len = padded,
				.tag = payload + padded,
			};
			wg_transport_header_write(op->msg, op->receiver, op->counter);
		}
		ok += wg_aead_seal_burst(ctx, aead, chunk);
		for (i = 0; i < chunk; i++)
			ops[base + i].status = aead[i].status;
		base += chunk;
	}
	return ok;
}

unsigned
wg_transport_open_burst(struct wg_transport_ctx *ctx, struct wg_transport_op *ops, unsigned n)
{
	struct wg_aead_op aead[WG_TRANSPORT_BURST_MAX];
	unsigned ok = 0;
	unsigned base = 0;

	while (base < n) {
		unsigned chunk =
			n - base < WG_TRANSPORT_BURST_MAX ? n - base : WG_TRANSPORT_BURST_MAX;
		unsigned i;

		for (i = 0; i < chunk; i++) {
			struct wg_transport_op *op = &ops[base + i];
			uint8_t *payload = op->msg + WG_MSG_TRANSPORT_HEADER_LEN;

			nonce_from_counter(ctx->nonce[i], op->counter);
			aead[i] = (struct wg_aead_op){
				.key = op->key,
				.nonce = ctx->nonce[i],
				.data = payload,
				.len = op->payload_len,
				.tag = payload + op->payload_len,
			};
		}
		ok += wg_aead_open_burst(ctx, aead, chunk);
		for (i = 0; i < chunk; i++)
			ops[base + i].status = aead[i].status;
		base += chunk;
	}
	return ok;
}
