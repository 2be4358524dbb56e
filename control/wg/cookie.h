/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cookies, WireGuard's defence against handshake floods (whitepaper section 5.4.7).
 *
 * Checker (responder side, one per device): mac1 = BLAKE2s-128 keyed with
 * HASH("mac1----" || our public key) over the message up to mac1 proves the sender knows our
 * public key; a message with a bad mac1 is dropped silently. Under load a message must also
 * carry mac2 = BLAKE2s-128 keyed with the cookie over the message up to mac2, where the cookie
 * is BLAKE2s-128 keyed with a random secret (rotated every 120 s) over the source ip || port;
 * otherwise the sender gets a cookie reply: the cookie sealed with XChaCha20-Poly1305 under
 * HASH("cookie--" || our public key), with the message's mac1 as additional data.
 *
 * Maker (initiator side, one per peer): adds mac1 and, with a cookie younger than 115 s, mac2
 * to every handshake message it sends, remembers the last mac1 sent, and consumes a cookie reply
 * only when it answers that mac1.
 *
 * Concurrency: single-threaded (the control plane's loop), like the handshake.
 */
#ifndef EXITGATE_WG_COOKIE_H
#define EXITGATE_WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "env.h"
#include "messages.h"
#include "netaddr.h"

enum cookie_mac_state {
	COOKIE_MAC1_INVALID, /* drop silently */
	COOKIE_MAC1_VALID,   /* mac1 good; mac2 absent, wrong or not checked */
	COOKIE_MAC2_VALID,   /* both good */
};

struct cookie_checker {
	uint8_t secret[WG_COOKIE_SECRET_LEN];
	uint64_t secret_birth_ns;
	bool has_secret;
	bool has_key;
	uint8_t mac1_key[WG_HASH_LEN];       /* HASH("mac1----" || our public key) */
	uint8_t encryption_key[WG_HASH_LEN]; /* HASH("cookie--" || our public key) */
	const struct wg_env *env;
	struct wg_crypto *crypto;
};

struct cookie_maker {
	uint8_t mac1_key[WG_HASH_LEN];       /* HASH("mac1----" || the peer's public key) */
	uint8_t decryption_key[WG_HASH_LEN]; /* HASH("cookie--" || the peer's public key) */
	uint8_t cookie[WG_COOKIE_LEN];
	uint64_t cookie_birth_ns;
	bool has_cookie;
	uint8_t last_mac1[WG_MAC_LEN];
	bool has_last_mac1;
	const struct wg_env *env;
	struct wg_crypto *crypto;
};

void cookie_checker_init(struct cookie_checker *checker, const struct wg_env *env,
			 struct wg_crypto *crypto);
/* Derive the keys from our public key; NULL = no identity (every message then fails mac1). */
int cookie_checker_set_public_key(struct cookie_checker *checker, const uint8_t *public_key);
void cookie_checker_wipe(struct cookie_checker *checker);
/* Check the MACs of a handshake message (initiation or response, msg_len its exact length);
 * mac2 only when check_mac2 (we are under load). */
enum cookie_mac_state cookie_checker_validate(struct cookie_checker *checker, const uint8_t *msg,
					      size_t msg_len, const struct netendpoint *source,
					      bool check_mac2);
/* The cookie reply to a handshake message from source; receiver = the message's sender index. */
int cookie_checker_create_reply(struct cookie_checker *checker, struct wg_msg_cookie_reply *reply,
				const uint8_t *msg, size_t msg_len, uint32_t receiver,
				const struct netendpoint *source);

int cookie_maker_init(struct cookie_maker *maker, const struct wg_env *env,
		      struct wg_crypto *crypto, const uint8_t peer_public_key[WG_KEY_LEN]);
void cookie_maker_wipe(struct cookie_maker *maker);
/* Write mac1 (and mac2 or zeros) into a handshake message about to be sent to the peer. */
int cookie_maker_add_macs(struct cookie_maker *maker, uint8_t *msg, size_t msg_len);
/* 0 when the reply answers our last mac1 and decrypts: its cookie is used from now on. */
int cookie_maker_consume_reply(struct cookie_maker *maker, const struct wg_msg_cookie_reply *reply);

#endif
