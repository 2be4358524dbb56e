/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "cookie.h"

static const char mac1_label[] = "mac1----";
static const char cookie_label[] = "cookie--";

static int
label_key(struct wg_crypto *crypto, uint8_t out[WG_HASH_LEN], const char *label,
	  const uint8_t public_key[WG_KEY_LEN])
{
	return wg_crypto_hash(crypto, out, (const uint8_t *)label, strlen(label), public_key,
			      WG_KEY_LEN);
}

/* ---- Checker ---- */

void
cookie_checker_init(struct cookie_checker *checker, const struct wg_env *env,
		    struct wg_crypto *crypto)
{
	memset(checker, 0, sizeof(*checker));
	checker->env = env;
	checker->crypto = crypto;
}

int
cookie_checker_set_public_key(struct cookie_checker *checker, const uint8_t *public_key)
{
	checker->has_key = false;
	sodium_memzero(checker->mac1_key, sizeof(checker->mac1_key));
	sodium_memzero(checker->encryption_key, sizeof(checker->encryption_key));
	if (public_key == NULL)
		return 0;
	if (label_key(checker->crypto, checker->mac1_key, mac1_label, public_key) != 0 ||
	    label_key(checker->crypto, checker->encryption_key, cookie_label, public_key) != 0)
		return -1;
	checker->has_key = true;
	return 0;
}

void
cookie_checker_wipe(struct cookie_checker *checker)
{
	sodium_memzero(checker->secret, sizeof(checker->secret));
	sodium_memzero(checker->mac1_key, sizeof(checker->mac1_key));
	sodium_memzero(checker->encryption_key, sizeof(checker->encryption_key));
	checker->has_secret = false;
	checker->has_key = false;
}

/* The cookie of a source address: BLAKE2s-128(secret, ip || port), the secret renewed when it
 * is 120 s old. IPv4 contributes 4 bytes, IPv6 16, the port 2 (big-endian); a relay source
 * (family 0, device.h) its 16 key bytes. */
static int
make_cookie(struct cookie_checker *checker, uint8_t cookie[WG_COOKIE_LEN],
	    const struct netendpoint *source)
{
	uint8_t input[16 + 2];
	size_t addr_len = source->addr.family == AF_INET ? 4 : 16;
	uint64_t now = wg_env_now(checker->env);

	if (!checker->has_secret || now - checker->secret_birth_ns >= WG_COOKIE_SECRET_MAX_AGE_NS) {
		wg_env_random(checker->env, checker->secret, sizeof(checker->secret));
		checker->secret_birth_ns = now;
		checker->has_secret = true;
	}
	memcpy(input, source->addr.bytes, addr_len);
	input[addr_len] = (uint8_t)(source->port >> 8);
	input[addr_len + 1] = (uint8_t)source->port;
	return wg_crypto_mac(checker->crypto, cookie, WG_COOKIE_LEN, checker->secret,
			     sizeof(checker->secret), input, addr_len + 2);
}

enum cookie_mac_state
cookie_checker_validate(struct cookie_checker *checker, const uint8_t *msg, size_t msg_len,
			const struct netendpoint *source, bool check_mac2)
{
	size_t mac1_at = wg_msg_mac1_offset(msg_len);
	size_t mac2_at = wg_msg_mac2_offset(msg_len);
	uint8_t computed[WG_MAC_LEN];
	uint8_t cookie[WG_COOKIE_LEN];
	enum cookie_mac_state state = COOKIE_MAC1_INVALID;

	if (!checker->has_key || msg_len < 2 * WG_MAC_LEN)
		return COOKIE_MAC1_INVALID;
	if (wg_crypto_mac(checker->crypto, computed, WG_MAC_LEN, checker->mac1_key,
			  sizeof(checker->mac1_key), msg, mac1_at) != 0 ||
	    !wg_crypto_equal(computed, msg + mac1_at, WG_MAC_LEN))
		goto out;
	state = COOKIE_MAC1_VALID;
	if (!check_mac2)
		goto out;
	if (make_cookie(checker, cookie, source) != 0 ||
	    wg_crypto_mac(checker->crypto, computed, WG_MAC_LEN, cookie, sizeof(cookie), msg,
			  mac2_at) != 0)
		goto out;
	if (wg_crypto_equal(computed, msg + mac2_at, WG_MAC_LEN))
		state = COOKIE_MAC2_VALID;
out:
	sodium_memzero(cookie, sizeof(cookie));
	return state;
}

int
cookie_checker_create_reply(struct cookie_checker *checker, struct wg_msg_cookie_reply *reply,
			    const uint8_t *msg, size_t msg_len, uint32_t receiver,
			    const struct netendpoint *source)
{
	uint8_t cookie[WG_COOKIE_LEN];
	int ret = -1;

	if (!checker->has_key)
		return -1;
	memset(reply, 0, sizeof(*reply));
	reply->type = htole32(WG_MSG_COOKIE_REPLY);
	reply->receiver = htole32(receiver);
	wg_env_random(checker->env, reply->nonce, sizeof(reply->nonce));
	if (make_cookie(checker, cookie, source) != 0)
		goto out;
	wg_crypto_xaead_seal(reply->encrypted_cookie, checker->encryption_key, reply->nonce, cookie,
			     sizeof(cookie), msg + wg_msg_mac1_offset(msg_len), WG_MAC_LEN);
	ret = 0;
out:
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

/* ---- Maker ---- */

int
cookie_maker_init(struct cookie_maker *maker, const struct wg_env *env, struct wg_crypto *crypto,
		  const uint8_t peer_public_key[WG_KEY_LEN])
{
	memset(maker, 0, sizeof(*maker));
	maker->env = env;
	maker->crypto = crypto;
	if (label_key(crypto, maker->mac1_key, mac1_label, peer_public_key) != 0 ||
	    label_key(crypto, maker->decryption_key, cookie_label, peer_public_key) != 0) {
		cookie_maker_wipe(maker);
		return -1;
	}
	return 0;
}

void
cookie_maker_wipe(struct cookie_maker *maker)
{
	sodium_memzero(maker->mac1_key, sizeof(maker->mac1_key));
	sodium_memzero(maker->decryption_key, sizeof(maker->decryption_key));
	sodium_memzero(maker->cookie, sizeof(maker->cookie));
	maker->has_cookie = false;
	maker->has_last_mac1 = false;
}

int
cookie_maker_add_macs(struct cookie_maker *maker, uint8_t *msg, size_t msg_len)
{
	size_t mac1_at = wg_msg_mac1_offset(msg_len);
	size_t mac2_at = wg_msg_mac2_offset(msg_len);

	if (wg_crypto_mac(maker->crypto, msg + mac1_at, WG_MAC_LEN, maker->mac1_key,
			  sizeof(maker->mac1_key), msg, mac1_at) != 0)
		return -1;
	memcpy(maker->last_mac1, msg + mac1_at, WG_MAC_LEN);
	maker->has_last_mac1 = true;
	if (maker->has_cookie &&
	    wg_env_now(maker->env) - maker->cookie_birth_ns < WG_COOKIE_VALIDITY_NS)
		return wg_crypto_mac(maker->crypto, msg + mac2_at, WG_MAC_LEN, maker->cookie,
				     sizeof(maker->cookie), msg, mac2_at);
	memset(msg + mac2_at, 0, WG_MAC_LEN);
	return 0;
}

int
cookie_maker_consume_reply(struct cookie_maker *maker, const struct wg_msg_cookie_reply *reply)
{
	uint8_t cookie[WG_COOKIE_LEN];

	if (!maker->has_last_mac1)
		return -1;
	if (wg_crypto_xaead_open(cookie, maker->decryption_key, reply->nonce,
				 reply->encrypted_cookie, sizeof(reply->encrypted_cookie),
				 maker->last_mac1, WG_MAC_LEN) != 0)
		return -1;
	memcpy(maker->cookie, cookie, WG_COOKIE_LEN);
	maker->cookie_birth_ns = wg_env_now(maker->env);
	maker->has_cookie = true;
	maker->has_last_mac1 = false; /* one reply per message sent */
	sodium_memzero(cookie, sizeof(cookie));
	return 0;
}
