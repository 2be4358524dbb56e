/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every message step works on local copies of the chaining key and hash; they are committed to
 * the handshake only when the whole message succeeded, and wiped on every exit.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

const char *
noise_result_name(enum noise_result result)
{
	switch (result) {
	case NOISE_OK:
		return "ok";
	case NOISE_SESSION_CONFIRMED:
		return "session_confirmed";
	case NOISE_REKEY_SOON:
		return "rekey_soon";
	case NOISE_KEYPAIR_EXPIRED:
		return "keypair_expired";
	case NOISE_NO_IDENTITY:
		return "no_identity";
	case NOISE_UNKNOWN_PEER:
		return "unknown_peer";
	case NOISE_SELF_KEY:
		return "self_key";
	case NOISE_LOW_ORDER:
		return "low_order";
	case NOISE_DECRYPT_FAILED:
		return "decrypt_failed";
	case NOISE_REPLAY:
		return "replay";
	case NOISE_FLOOD:
		return "flood";
	case NOISE_WRONG_STATE:
		return "wrong_state";
	case NOISE_INTERNAL_ERROR:
		return "internal_error";
	}
	return "unknown";
}

int
noise_protocol_constants(struct wg_crypto *crypto, uint8_t c0[WG_HASH_LEN], uint8_t h0[WG_HASH_LEN])
{
	if (wg_crypto_hash(crypto, c0, (const uint8_t *)construction, strlen(construction), NULL,
			   0) != 0)
		return -1;
	return wg_crypto_hash(crypto, h0, c0, WG_HASH_LEN, (const uint8_t *)identifier,
			      strlen(identifier));
}

/* ---- Keypair memory and rotation ---- */

struct wg_keypair *
noise_keypair_alloc(void)
{
	struct wg_keypair *kp = aligned_alloc(WG_CACHE_LINE, sizeof(struct wg_keypair));

	if (kp != NULL)
		memset(kp, 0, sizeof(*kp));
	return kp;
}

void
noise_keypair_free(struct wg_keypair *kp)
{
	free(kp);
}

static void
keypair_retire(struct noise_remote *remote, struct wg_keypair *kp)
{
	const struct noise_upcalls *u = &remote->local->upcalls;

	if (kp == NULL)
		return;
	u->index_drop(u->arg, kp->local_index);
	u->keypair_retire(u->arg, kp);
}

void
noise_remote_keypairs_clear(struct noise_remote *remote)
{
	/* next first, so that nothing can promote it while the others go */
	struct wg_keypair *next = remote->keypair_next;
	struct wg_keypair *previous = remote->keypair_previous;
	struct wg_keypair *current = remote->keypair_current;

	remote->keypair_next = NULL;
	remote->keypair_previous = NULL;
	remote->keypair_current = NULL;
	keypair_retire(remote, next);
	keypair_retire(remote, previous);
	keypair_retire(remote, current);
}

static void
keypair_add(struct noise_remote *remote, struct wg_keypair *kp)
{
	struct wg_keypair *previous = remote->keypair_previous;
	struct wg_keypair *current = remote->keypair_current;
	struct wg_keypair *next = remote->keypair_next;

	if (kp->initiator) {
		/* The response confirmed the keys: the new keypair is current at once. A pending
		 * next (from a handshake we answered meanwhile) becomes previous, so a packet
		 * already sent on it by the peer can still be received. */
		if (next != NULL) {
			remote->keypair_next = NULL;
			remote->keypair_previous = next;
			keypair_retire(remote, current);
		} else {
			remote->keypair_previous = current;
		}
		keypair_retire(remote, previous);
		remote->keypair_current = kp;
		wg_keypair_set_can_send(kp, true);
	} else {
		/* Unconfirmed until data arrives on it: slide it in as next; the old next and the
		 * previous go, current stays usable meanwhile. */
		remote->keypair_next = kp;
		keypair_retire(remote, next);
		remote->keypair_previous = NULL;
		keypair_retire(remote, previous);
	}
}

enum noise_result
noise_keypair_received(struct noise_remote *remote, struct wg_keypair *kp)
{
	struct wg_keypair *old_previous;

	if (kp == NULL || kp != remote->keypair_next)
		return NOISE_OK;
	old_previous = remote->keypair_previous;
	remote->keypair_previous = remote->keypair_current;
	remote->keypair_current = kp;
	remote->keypair_next = NULL;
	keypair_retire(remote, old_previous);
	wg_keypair_set_can_send(kp, true);
	return NOISE_SESSION_CONFIRMED;
}

enum noise_result
noise_keypair_check_send(const struct wg_keypair *kp, uint64_t now_ns)
{
	uint64_t counter = wg_keypair_send_counter(kp);

	if (wg_keypair_expired(kp, now_ns) || counter >= WG_REJECT_AFTER_MESSAGES)
		return NOISE_KEYPAIR_EXPIRED;
	if (counter > WG_REKEY_AFTER_MESSAGES ||
	    (kp->initiator && now_ns - kp->birth_ns >= WG_REKEY_AFTER_TIME_NS))
		return NOISE_REKEY_SOON;
	return NOISE_OK;
}

enum noise_result
noise_keypair_check_receive(const struct wg_keypair *kp, uint64_t now_ns)
{
	if (wg_keypair_expired(kp, now_ns))
		return NOISE_KEYPAIR_EXPIRED;
	if (kp->initiator && now_ns - kp->birth_ns >= WG_REKEY_ON_RECEIVE_AGE_NS)
		return NOISE_REKEY_SOON;
	return NOISE_OK;
}

struct wg_keypair *
noise_remote_send_keypair(const struct noise_remote *remote)
{
	struct wg_keypair *kp = remote->keypair_current;

	return kp != NULL && wg_keypair_can_send(kp) ? kp : NULL;
}

/* ---- Local identity and remotes ---- */

int
noise_local_init(struct noise_local *local, const struct noise_upcalls *upcalls,
		 const struct wg_env *env, struct wg_crypto *crypto)
{
	memset(local, 0, sizeof(*local));
	local->upcalls = *upcalls;
	local->env = env;
	local->crypto = crypto;
	return noise_protocol_constants(crypto, local->initial_chaining_key, local->initial_hash);
}

int
noise_local_set_private_key(struct noise_local *local, const uint8_t *private_key)
{
	sodium_memzero(local->private_key, sizeof(local->private_key));
	memset(local->public_key, 0, sizeof(local->public_key));
	local->has_identity = false;
	if (private_key == NULL)
		return 0;
	memcpy(local->private_key, private_key, WG_KEY_LEN);
	wg_crypto_clamp(local->private_key);
	if (wg_crypto_public_key(local->public_key, local->private_key) != 0) {
		sodium_memzero(local->private_key, sizeof(local->private_key));
		return -1;
	}
	local->has_identity = true;
	return 0;
}

void
noise_local_wipe(struct noise_local *local)
{
	sodium_memzero(local->private_key, sizeof(local->private_key));
	local->has_identity = false;
}

void
noise_remote_precompute(struct noise_remote *remote)
{
	struct noise_local *local = remote->local;

	/* A failed DH (no identity, or a low-order remote key) leaves zeros, which every
	 * handshake with this remote then refuses as NOISE_LOW_ORDER. */
	if (!local->has_identity ||
	    wg_crypto_x25519(remote->precomputed_ss, local->private_key, remote->public_key) != 0)
		sodium_memzero(remote->precomputed_ss, sizeof(remote->precomputed_ss));
}

enum noise_result
noise_remote_init(struct noise_remote *remote, struct noise_local *local,
		  const uint8_t public_key[WG_KEY_LEN], void *owner)
{
	memset(remote, 0, sizeof(*remote));
	if (local->has_identity && sodium_memcmp(public_key, local->public_key, WG_KEY_LEN) == 0)
		return NOISE_SELF_KEY;
	memcpy(remote->public_key, public_key, WG_KEY_LEN);
	remote->local = local;
	remote->owner = owner;
	noise_remote_precompute(remote);
	return NOISE_OK;
}

void
noise_remote_set_psk(struct noise_remote *remote, const uint8_t *psk)
{
	if (psk != NULL)
		memcpy(remote->psk, psk, WG_KEY_LEN);
	else
		sodium_memzero(remote->psk, sizeof(remote->psk));
}

static void
handshake_drop_index(struct noise_remote *remote)
{
	struct noise_handshake *hs = &remote->handshake;
	const struct noise_upcalls *u = &remote->local->upcalls;

	if (hs->has_index) {
		u->index_drop(u->arg, hs->local_index);
		hs->has_index = false;
	}
}

/* Wipe the handshake's secrets; its index is either dropped or now owned by a keypair. */
static void
handshake_zero(struct noise_handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
	hs->state = NOISE_HANDSHAKE_ZEROED;
}

void
noise_remote_handshake_clear(struct noise_remote *remote)
{
	handshake_drop_index(remote);
	handshake_zero(&remote->handshake);
}

void
noise_remote_expire_current(struct noise_remote *remote)
{
	noise_remote_handshake_clear(remote);
	if (remote->keypair_next != NULL)
		wg_keypair_set_can_send(remote->keypair_next, false);
	if (remote->keypair_current != NULL)
		wg_keypair_set_can_send(remote->keypair_current, false);
}

void
noise_remote_wipe(struct noise_remote *remote)
{
	noise_remote_handshake_clear(remote);
	noise_remote_keypairs_clear(remote);
	sodium_memzero(remote->psk, sizeof(remote->psk));
	sodium_memzero(remote->precomputed_ss, sizeof(remote->precomputed_ss));
}

static int
handshake_new_index(struct noise_remote *remote)
{
	struct noise_handshake *hs = &remote->handshake;
	const struct noise_upcalls *u = &remote->local->upcalls;

	handshake_drop_index(remote);
	if (u->index_new(u->arg, remote, &hs->local_index) != 0)
		return -1;
	hs->has_index = true;
	return 0;
}

/* ---- The symmetric state of one message ---- */

struct symmetric {
	uint8_t ck[WG_HASH_LEN];  /* chaining key */
	uint8_t h[WG_HASH_LEN];   /* handshake hash */
	uint8_t key[WG_KEY_LEN];  /* current AEAD key */
	uint8_t dh[WG_KEY_LEN];   /* latest DH result */
	uint8_t tau[WG_HASH_LEN]; /* psk mixing output */
	uint8_t e_private[WG_KEY_LEN];
};

static void
symmetric_wipe(struct symmetric *s)
{
	sodium_memzero(s, sizeof(*s));
}

static int
mix_hash(struct wg_crypto *c, struct symmetric *s, const uint8_t *data, size_t len)
{
	return wg_crypto_hash(c, s->h, s->h, WG_HASH_LEN, data, len);
}

/* C = KDF1(C, e_pub); H = HASH(H || e_pub) */
static int
mix_ephemeral(struct wg_crypto *c, struct symmetric *s, const uint8_t e_pub[WG_KEY_LEN])
{
	if (wg_crypto_kdf(c, s->ck, NULL, NULL, s->ck, e_pub, WG_KEY_LEN) != 0)
		return -1;
	return mix_hash(c, s, e_pub, WG_KEY_LEN);
}

/* (C, k) = KDF2(C, DH(private, public)), or only C = KDF1(...) when key is not wanted. */
static enum noise_result
mix_dh(struct wg_crypto *c, struct symmetric *s, const uint8_t private_key[WG_KEY_LEN],
       const uint8_t public_key[WG_KEY_LEN], bool want_key)
{
	if (wg_crypto_x25519(s->dh, private_key, public_key) != 0)
		return NOISE_LOW_ORDER;
	if (wg_crypto_kdf(c, s->ck, want_key ? s->key : NULL, NULL, s->ck, s->dh, WG_KEY_LEN) != 0)
		return NOISE_INTERNAL_ERROR;
	return NOISE_OK;
}

static enum noise_result
mix_precomputed_ss(struct wg_crypto *c, struct symmetric *s, const uint8_t ss[WG_KEY_LEN])
{
	if (wg_crypto_is_zero(ss, WG_KEY_LEN))
		return NOISE_LOW_ORDER;
	if (wg_crypto_kdf(c, s->ck, s->key, NULL, s->ck, ss, WG_KEY_LEN) != 0)
		return NOISE_INTERNAL_ERROR;
	return NOISE_OK;
}

/* (C, tau, k) = KDF3(C, psk); H = HASH(H || tau) */
static int
mix_psk(struct wg_crypto *c, struct symmetric *s, const uint8_t psk[WG_KEY_LEN])
{
	if (wg_crypto_kdf(c, s->ck, s->tau, s->key, s->ck, psk, WG_KEY_LEN) != 0)
		return -1;
	return mix_hash(c, s, s->tau, WG_HASH_LEN);
}

/* out = AEAD(k, 0, in, H); H = HASH(H || out) */
static int
encrypt_and_hash(struct wg_crypto *c, struct symmetric *s, uint8_t *out, const uint8_t *in,
		 size_t in_len)
{
	wg_crypto_aead_seal(out, s->key, 0, in, in_len, s->h, WG_HASH_LEN);
	return mix_hash(c, s, out, in_len + WG_AEAD_TAG_LEN);
}

/* out = AEAD-open(k, 0, in, H); H = HASH(H || in) */
static enum noise_result
decrypt_and_hash(struct wg_crypto *c, struct symmetric *s, uint8_t *out, const uint8_t *in,
		 size_t in_len)
{
	if (wg_crypto_aead_open(out, s->key, 0, in, in_len, s->h, WG_HASH_LEN) != 0)
		return NOISE_DECRYPT_FAILED;
	if (mix_hash(c, s, in, in_len) != 0)
		return NOISE_INTERNAL_ERROR;
	return NOISE_OK;
}

/* C = C0; H = HASH(H0 || responder static) */
static int
symmetric_start(struct noise_local *local, struct symmetric *s,
		const uint8_t responder_static[WG_KEY_LEN])
{
	memcpy(s->ck, local->initial_chaining_key, WG_HASH_LEN);
	return wg_crypto_hash(local->crypto, s->h, local->initial_hash, WG_HASH_LEN,
			      responder_static, WG_KEY_LEN);
}

static void
symmetric_load(struct symmetric *s, const struct noise_handshake *hs)
{
	memcpy(s->ck, hs->chaining_key, WG_HASH_LEN);
	memcpy(s->h, hs->hash, WG_HASH_LEN);
}

static void
symmetric_store(struct noise_handshake *hs, const struct symmetric *s)
{
	memcpy(hs->chaining_key, s->ck, WG_HASH_LEN);
	memcpy(hs->hash, s->h, WG_HASH_LEN);
}

/* ---- Messages ---- */

enum noise_result
noise_create_initiation(struct noise_remote *remote, struct wg_msg_initiation *msg)
{
	struct noise_local *local = remote->local;
	struct noise_handshake *hs = &remote->handshake;
	struct wg_crypto *c = local->crypto;
	uint8_t timestamp[WG_TAI64N_LEN];
	struct symmetric s;
	enum noise_result r = NOISE_INTERNAL_ERROR;

	memset(&s, 0, sizeof(s));
	if (!local->has_identity) {
		r = NOISE_NO_IDENTITY;
		goto out;
	}
	if (wg_crypto_is_zero(remote->precomputed_ss, WG_KEY_LEN)) {
		r = NOISE_LOW_ORDER;
		goto out;
	}
	memset(msg, 0, sizeof(*msg));
	msg->type = htole32(WG_MSG_INITIATION);
	if (symmetric_start(local, &s, remote->public_key) != 0)
		goto out;
	/* e */
	if (wg_crypto_generate_keypair(local->env, s.e_private, msg->ephemeral) != 0 ||
	    mix_ephemeral(c, &s, msg->ephemeral) != 0)
		goto out;
	/* es */
	r = mix_dh(c, &s, s.e_private, remote->public_key, true);
	if (r != NOISE_OK)
		goto out;
	r = NOISE_INTERNAL_ERROR;
	/* s */
	if (encrypt_and_hash(c, &s, msg->encrypted_static, local->public_key, WG_KEY_LEN) != 0)
		goto out;
	/* ss */
	r = mix_precomputed_ss(c, &s, remote->precomputed_ss);
	if (r != NOISE_OK)
		goto out;
	r = NOISE_INTERNAL_ERROR;
	/* {t} */
	wg_crypto_tai64n(timestamp, wg_env_realtime(local->env));
	if (encrypt_and_hash(c, &s, msg->encrypted_timestamp, timestamp, WG_TAI64N_LEN) != 0)
		goto out;
	if (handshake_new_index(remote) != 0)
		goto out;
	msg->sender = htole32(hs->local_index);
	memcpy(hs->ephemeral_private, s.e_private, WG_KEY_LEN);
	symmetric_store(hs, &s);
	hs->state = NOISE_HANDSHAKE_CREATED_INITIATION;
	r = NOISE_OK;
out:
	symmetric_wipe(&s);
	return r;
}

enum noise_result
noise_consume_initiation(struct noise_local *local, const struct wg_msg_initiation *msg,
			 struct noise_remote **remote_out)
{
	struct wg_crypto *c = local->crypto;
	uint8_t remote_static[WG_KEY_LEN];
	uint8_t timestamp[WG_TAI64N_LEN];
	struct noise_remote *remote;
	struct noise_handshake *hs;
	struct symmetric s;
	uint64_t now;
	enum noise_result r = NOISE_INTERNAL_ERROR;

	*remote_out = NULL;
	memset(&s, 0, sizeof(s));
	memset(remote_static, 0, sizeof(remote_static));
	memset(timestamp, 0, sizeof(timestamp));
	if (!local->has_identity) {
		r = NOISE_NO_IDENTITY;
		goto out;
	}
	if (symmetric_start(local, &s, local->public_key) != 0)
		goto out;
	/* e */
	if (mix_ephemeral(c, &s, msg->ephemeral) != 0)
		goto out;
	/* es */
	r = mix_dh(c, &s, local->private_key, msg->ephemeral, true);
	if (r != NOISE_OK)
		goto out;
	/* s */
	r = decrypt_and_hash(c, &s, remote_static, msg->encrypted_static,
			     sizeof(msg->encrypted_static));
	if (r != NOISE_OK)
		goto out;
	if (sodium_memcmp(remote_static, local->public_key, WG_KEY_LEN) == 0) {
		r = NOISE_SELF_KEY;
		goto out;
	}
	remote = local->upcalls.remote_get(local->upcalls.arg, remote_static);
	if (remote == NULL) {
		r = NOISE_UNKNOWN_PEER;
		goto out;
	}
	/* ss */
	r = mix_precomputed_ss(c, &s, remote->precomputed_ss);
	if (r != NOISE_OK)
		goto out;
	/* {t} */
	r = decrypt_and_hash(c, &s, timestamp, msg->encrypted_timestamp,
			     sizeof(msg->encrypted_timestamp));
	if (r != NOISE_OK)
		goto out;
	/* Big-endian TAI64N compares as bytes. */
	if (remote->has_consumed_initiation &&
	    memcmp(timestamp, remote->latest_timestamp, WG_TAI64N_LEN) <= 0) {
		r = NOISE_REPLAY;
		goto out;
	}
	now = wg_env_now(local->env);
	if (remote->has_consumed_initiation &&
	    now - remote->last_initiation_consumed_ns < WG_INITIATION_MIN_INTERVAL_NS) {
		r = NOISE_FLOOD;
		goto out;
	}
	/* Success: this initiation replaces whatever handshake the remote had. */
	noise_remote_handshake_clear(remote);
	hs = &remote->handshake;
	memcpy(hs->remote_ephemeral, msg->ephemeral, WG_KEY_LEN);
	hs->remote_index = le32toh(msg->sender);
	symmetric_store(hs, &s);
	hs->state = NOISE_HANDSHAKE_CONSUMED_INITIATION;
	memcpy(remote->latest_timestamp, timestamp, WG_TAI64N_LEN);
	remote->last_initiation_consumed_ns = now;
	remote->has_consumed_initiation = true;
	*remote_out = remote;
	r = NOISE_OK;
out:
	symmetric_wipe(&s);
	sodium_memzero(remote_static, sizeof(remote_static));
	sodium_memzero(timestamp, sizeof(timestamp));
	return r;
}

enum noise_result
noise_create_response(struct noise_remote *remote, struct wg_msg_response *msg)
{
	struct noise_local *local = remote->local;
	struct noise_handshake *hs = &remote->handshake;
	struct wg_crypto *c = local->crypto;
	struct symmetric s;
	enum noise_result r = NOISE_INTERNAL_ERROR;

	memset(&s, 0, sizeof(s));
	if (hs->state != NOISE_HANDSHAKE_CONSUMED_INITIATION) {
		r = NOISE_WRONG_STATE;
		goto out;
	}
	memset(msg, 0, sizeof(*msg));
	msg->type = htole32(WG_MSG_RESPONSE);
	msg->receiver = htole32(hs->remote_index);
	symmetric_load(&s, hs);
	/* e */
	if (wg_crypto_generate_keypair(local->env, s.e_private, msg->ephemeral) != 0 ||
	    mix_ephemeral(c, &s, msg->ephemeral) != 0)
		goto out;
	/* ee */
	r = mix_dh(c, &s, s.e_private, hs->remote_ephemeral, false);
	if (r != NOISE_OK)
		goto out;
	/* se */
	r = mix_dh(c, &s, s.e_private, remote->public_key, false);
	if (r != NOISE_OK)
		goto out;
	r = NOISE_INTERNAL_ERROR;
	/* psk */
	if (mix_psk(c, &s, remote->psk) != 0)
		goto out;
	/* {} */
	if (encrypt_and_hash(c, &s, msg->encrypted_nothing, NULL, 0) != 0)
		goto out;
	if (handshake_new_index(remote) != 0)
		goto out;
	msg->sender = htole32(hs->local_index);
	memcpy(hs->ephemeral_private, s.e_private, WG_KEY_LEN);
	symmetric_store(hs, &s);
	hs->state = NOISE_HANDSHAKE_CREATED_RESPONSE;
	r = NOISE_OK;
out:
	symmetric_wipe(&s);
	return r;
}

enum noise_result
noise_consume_response(struct noise_remote *remote, const struct wg_msg_response *msg)
{
	struct noise_local *local = remote->local;
	struct noise_handshake *hs = &remote->handshake;
	struct wg_crypto *c = local->crypto;
	struct symmetric s;
	enum noise_result r = NOISE_INTERNAL_ERROR;

	memset(&s, 0, sizeof(s));
	if (!local->has_identity) {
		r = NOISE_NO_IDENTITY;
		goto out;
	}
	if (hs->state != NOISE_HANDSHAKE_CREATED_INITIATION || !hs->has_index ||
	    hs->local_index != le32toh(msg->receiver)) {
		r = NOISE_WRONG_STATE;
		goto out;
	}
	symmetric_load(&s, hs);
	/* e */
	if (mix_ephemeral(c, &s, msg->ephemeral) != 0)
		goto out;
	/* ee */
	r = mix_dh(c, &s, hs->ephemeral_private, msg->ephemeral, false);
	if (r != NOISE_OK)
		goto out;
	/* se */
	r = mix_dh(c, &s, local->private_key, msg->ephemeral, false);
	if (r != NOISE_OK)
		goto out;
	r = NOISE_INTERNAL_ERROR;
	/* psk */
	if (mix_psk(c, &s, remote->psk) != 0)
		goto out;
	/* {} */
	r = decrypt_and_hash(c, &s, NULL, msg->encrypted_nothing, sizeof(msg->encrypted_nothing));
	if (r != NOISE_OK)
		goto out;
	memcpy(hs->remote_ephemeral, msg->ephemeral, WG_KEY_LEN);
	hs->remote_index = le32toh(msg->sender);
	symmetric_store(hs, &s);
	hs->state = NOISE_HANDSHAKE_CONSUMED_RESPONSE;
	r = NOISE_OK;
out:
	symmetric_wipe(&s);
	return r;
}

enum noise_result
noise_begin_session(struct noise_remote *remote)
{
	struct noise_local *local = remote->local;
	struct noise_handshake *hs = &remote->handshake;
	const struct noise_upcalls *u = &local->upcalls;
	uint8_t first[WG_KEY_LEN];
	uint8_t second[WG_KEY_LEN];
	struct wg_keypair *kp;
	bool initiator;
	enum noise_result r = NOISE_INTERNAL_ERROR;

	memset(first, 0, sizeof(first));
	memset(second, 0, sizeof(second));
	if ((hs->state != NOISE_HANDSHAKE_CONSUMED_RESPONSE &&
	     hs->state != NOISE_HANDSHAKE_CREATED_RESPONSE) ||
	    !hs->has_index) {
		r = NOISE_WRONG_STATE;
		goto out;
	}
	initiator = hs->state == NOISE_HANDSHAKE_CONSUMED_RESPONSE;
	/* (T_i->r, T_r->i) = KDF2(C, empty) */
	if (wg_crypto_kdf(local->crypto, first, second, NULL, hs->chaining_key, NULL, 0) != 0)
		goto out;
	kp = u->keypair_alloc != NULL ? u->keypair_alloc(u->arg, remote) : noise_keypair_alloc();
	if (kp == NULL)
		goto out;
	wg_keypair_init(kp, initiator ? first : second, initiator ? second : first, hs->local_index,
			hs->remote_index, initiator, wg_env_now(local->env));
	u->index_bind_keypair(u->arg, hs->local_index, kp);
	handshake_zero(hs); /* the index now belongs to the keypair */
	keypair_add(remote, kp);
	r = NOISE_OK;
out:
	sodium_memzero(first, sizeof(first));
	sodium_memzero(second, sizeof(second));
	return r;
}
