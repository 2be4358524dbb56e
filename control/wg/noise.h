/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake of WireGuard, as a pure engine: no
 * sockets, no packet buffers beyond the message structs, no timers. The caller supplies upcalls
 * for index allocation and for finding a remote by its static public key; results are codes
 * that say what to do (drop and why, replay, session confirmed). mac1/mac2 are not its concern
 * (cookie.h adds and checks them).
 *
 *   <- s
 *   ...
 *   -> e, es, s, ss, {t}        initiation: noise_create_initiation / noise_consume_initiation
 *   <- e, ee, se, psk, {}       response:   noise_create_response / noise_consume_response
 *
 * Keypairs: a remote holds previous, current and next. The initiator's new keypair becomes
 * current at once (the response confirmed the keys); the responder's becomes next and is
 * promoted to current by the first data packet received on it (noise_keypair_received).
 * Keypairs leave through the keypair_retire upcall, which frees them when no thread can hold
 * them any more.
 *
 * Concurrency: single-threaded, the control plane's loop. Every secret (ephemeral keys, DH
 * results, chaining keys, hashes, derived keys) is wiped on every path, failed consumes included.
 */
#ifndef EXITGATE_WG_NOISE_H
#define EXITGATE_WG_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "env.h"
#include "keypair.h"
#include "messages.h"

struct noise_remote;

enum noise_result {
	NOISE_OK = 0,
	NOISE_SESSION_CONFIRMED, /* a data packet arrived on the next keypair: it is now current */
	NOISE_REKEY_SOON,        /* the keypair still works, but a new handshake is due */
	NOISE_KEYPAIR_EXPIRED,   /* the keypair must not be used any more */
	/* Reasons to drop the message (or not to send one). */
	NOISE_NO_IDENTITY,    /* no local private key */
	NOISE_UNKNOWN_PEER,   /* the initiator's static key is not a configured remote */
	NOISE_SELF_KEY,       /* the remote's static key is our own */
	NOISE_LOW_ORDER,      /* a DH result was all zeros (low-order point) */
	NOISE_DECRYPT_FAILED, /* a handshake field did not authenticate */
	NOISE_REPLAY,         /* TAI64N not greater than the greatest seen from that remote */
	NOISE_FLOOD,          /* an initiation < 20 ms after the last one consumed */
	NOISE_WRONG_STATE,    /* no handshake in the state or with the index the message needs */
	NOISE_INTERNAL_ERROR, /* out of memory, index space or a library failure */
};

const char *noise_result_name(enum noise_result result);

struct noise_upcalls {
	void *arg;
	/* The configured remote with this static public key, or NULL. */
	struct noise_remote *(*remote_get)(void *arg, const uint8_t public_key[WG_KEY_LEN]);
	/* A new receiver index, unique among those in use, naming remote's handshake: 0 or -1. */
	int (*index_new)(void *arg, struct noise_remote *remote, uint32_t *index);
	/* From now on the handshake's index names this keypair (same remote). */
	void (*index_bind_keypair)(void *arg, uint32_t index, struct wg_keypair *kp);
	/* The index names nothing any more. */
	void (*index_drop)(void *arg, uint32_t index);
	/* kp left its remote and no lookup finds it; free it (wg_keypair_wipe, then
	 * noise_keypair_free) once no thread can hold it. */
	void (*keypair_retire)(void *arg, struct wg_keypair *kp);
	/* Optional: memory for a new keypair of remote (zeroed, cache-line aligned), so a caller
	 * can embed it in a larger object; NULL: noise_keypair_alloc. */
	struct wg_keypair *(*keypair_alloc)(void *arg, struct noise_remote *remote);
};

struct noise_local {
	uint8_t private_key[WG_KEY_LEN]; /* clamped */
	uint8_t public_key[WG_KEY_LEN];
	bool has_identity;
	uint8_t initial_chaining_key[WG_HASH_LEN]; /* C0 */
	uint8_t initial_hash[WG_HASH_LEN];         /* H0 */
	struct noise_upcalls upcalls;
	const struct wg_env *env;
	struct wg_crypto *crypto;
};

enum noise_handshake_state {
	NOISE_HANDSHAKE_ZEROED,
	NOISE_HANDSHAKE_CREATED_INITIATION,
	NOISE_HANDSHAKE_CONSUMED_INITIATION,
	NOISE_HANDSHAKE_CREATED_RESPONSE,
	NOISE_HANDSHAKE_CONSUMED_RESPONSE,
};

struct noise_handshake {
	enum noise_handshake_state state;
	bool has_index;
	uint32_t local_index;
	uint32_t remote_index;
	uint8_t ephemeral_private[WG_KEY_LEN];
	uint8_t remote_ephemeral[WG_KEY_LEN];
	uint8_t hash[WG_HASH_LEN];
	uint8_t chaining_key[WG_HASH_LEN];
};

struct noise_remote {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t precomputed_ss[WG_KEY_LEN]; /* DH(our static, its static); zeros = unusable */
	uint8_t psk[WG_KEY_LEN];            /* zeros when none, as Noise_IKpsk2 prescribes */
	struct noise_local *local;
	void *owner; /* the caller's peer */
	struct noise_handshake handshake;
	uint8_t latest_timestamp[WG_TAI64N_LEN]; /* greatest TAI64N consumed; survives clears */
	bool has_consumed_initiation;
	uint64_t last_initiation_consumed_ns;
	struct wg_keypair *keypair_previous;
	struct wg_keypair *keypair_current;
	struct wg_keypair *keypair_next;
};

/* C0 = HASH(construction), H0 = HASH(C0 || identifier). */
int noise_protocol_constants(struct wg_crypto *crypto, uint8_t c0[WG_HASH_LEN],
			     uint8_t h0[WG_HASH_LEN]);

/* A local identity without a key yet. 0, or -1 when the protocol constants fail. */
int noise_local_init(struct noise_local *local, const struct noise_upcalls *upcalls,
		     const struct wg_env *env, struct wg_crypto *crypto);
/* Clamp and install the static private key; NULL removes it. Call noise_remote_precompute for
 * every remote afterwards. 0, or -1 when the key gives no usable public key. */
int noise_local_set_private_key(struct noise_local *local, const uint8_t *private_key);
void noise_local_wipe(struct noise_local *local);

/* A remote with this static public key: NOISE_SELF_KEY when it is our own public key. */
enum noise_result noise_remote_init(struct noise_remote *remote, struct noise_local *local,
				    const uint8_t public_key[WG_KEY_LEN], void *owner);
/* NULL = no preshared key (zeros). */
void noise_remote_set_psk(struct noise_remote *remote, const uint8_t *psk);
/* Recompute DH(our static, its static) after the local key changed (zeros when unusable). */
void noise_remote_precompute(struct noise_remote *remote);
/* Forget the handshake in progress (drops its index, wipes its secrets). */
void noise_remote_handshake_clear(struct noise_remote *remote);
/* Retire all three keypairs. */
void noise_remote_keypairs_clear(struct noise_remote *remote);
/* Stop sending on the current and next keypairs (receiving continues) and forget the
 * handshake, so that the next packet to send starts a new handshake. */
void noise_remote_expire_current(struct noise_remote *remote);
/* Everything above, plus the preshared key: for removing a remote. */
void noise_remote_wipe(struct noise_remote *remote);

/* Initiator: fill msg except mac1/mac2. */
enum noise_result noise_create_initiation(struct noise_remote *remote,
					  struct wg_msg_initiation *msg);
/* Responder: consume an initiation whose mac1 the caller checked; *remote_out is its sender. */
enum noise_result noise_consume_initiation(struct noise_local *local,
					   const struct wg_msg_initiation *msg,
					   struct noise_remote **remote_out);
/* Responder, after a consumed initiation: fill msg except mac1/mac2. */
enum noise_result noise_create_response(struct noise_remote *remote, struct wg_msg_response *msg);
/* Initiator: consume a response for the remote whose handshake index msg->receiver names. */
enum noise_result noise_consume_response(struct noise_remote *remote,
					 const struct wg_msg_response *msg);
/* After noise_create_response (responder) or noise_consume_response (initiator): derive the
 * keypair, bind the handshake's index to it and rotate previous/current/next. */
enum noise_result noise_begin_session(struct noise_remote *remote);

/* The keypair to send on: the current one when it may send, else NULL. */
struct wg_keypair *noise_remote_send_keypair(const struct noise_remote *remote);
/*
 * The key lifetime rules. Sending: NOISE_KEYPAIR_EXPIRED at REJECT_AFTER_TIME or
 * REJECT_AFTER_MESSAGES, else NOISE_REKEY_SOON past REKEY_AFTER_MESSAGES or, for the initiator,
 * REKEY_AFTER_TIME, else NOISE_OK. Receiving: NOISE_KEYPAIR_EXPIRED at REJECT_AFTER_TIME, else
 * NOISE_REKEY_SOON for the initiator once the keypair is REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT -
 * REKEY_TIMEOUT (165 s) old, else NOISE_OK.
 */
enum noise_result noise_keypair_check_send(const struct wg_keypair *kp, uint64_t now_ns);
enum noise_result noise_keypair_check_receive(const struct wg_keypair *kp, uint64_t now_ns);
/* A data packet authenticated on kp: NOISE_SESSION_CONFIRMED when kp was next and is now
 * current (it may send from now on), else NOISE_OK. */
enum noise_result noise_keypair_received(struct noise_remote *remote, struct wg_keypair *kp);

/* Keypair memory: cache-line aligned; NULL when out of memory. */
struct wg_keypair *noise_keypair_alloc(void);
void noise_keypair_free(struct wg_keypair *kp);

#endif
