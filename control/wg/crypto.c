/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "crypto.h"
#include "log.h"

struct wg_crypto {
	EVP_MD_CTX *hash;
	EVP_MAC_CTX *hmac;
	EVP_MAC_CTX *mac;
};

/* Process-wide algorithm objects: fetched once, shared read-only by every context. */
static EVP_MD *blake2s_md;
static EVP_MAC *hmac_alg;
static EVP_MAC *blake2s_mac_alg;
static int global_status = -1;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static const char *
openssl_reason(void)
{
	const char *reason = ERR_reason_error_string(ERR_get_error());

	return reason != NULL ? reason : "unknown error";
}

static void
global_init(void)
{
	if (sodium_init() < 0) {
		log_warn("wg crypto: sodium_init: failed");
		return;
	}
	blake2s_md = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	blake2s_mac_alg = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	if (blake2s_md == NULL || hmac_alg == NULL || blake2s_mac_alg == NULL) {
		log_warn("wg crypto: EVP fetch BLAKE2s/HMAC: %s", openssl_reason());
		return;
	}
	global_status = 0;
}

struct wg_crypto *
wg_crypto_new(void)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"BLAKE2S-256", 0),
		OSSL_PARAM_construct_end(),
	};
	struct wg_crypto *c;

	pthread_once(&global_once, global_init);
	if (global_status != 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warn("wg crypto: calloc: out of memory");
		return NULL;
	}
	c->hash = EVP_MD_CTX_new();
	c->hmac = EVP_MAC_CTX_new(hmac_alg);
	c->mac = EVP_MAC_CTX_new(blake2s_mac_alg);
	if (c->hash == NULL || c->hmac == NULL || c->mac == NULL) {
		log_warn("wg crypto: EVP context: %s", openssl_reason());
		goto fail;
	}
	if (!EVP_MAC_CTX_set_params(c->hmac, params)) {
		log_warn("wg crypto: HMAC with BLAKE2S-256: %s", openssl_reason());
		goto fail;
	}
	return c;
fail:
	wg_crypto_free(c);
	return NULL;
}

void
wg_crypto_free(struct wg_crypto *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->hash);
	EVP_MAC_CTX_free(c->hmac);
	EVP_MAC_CTX_free(c->mac);
	free(c);
}

int
wg_crypto_hash(struct wg_crypto *c, uint8_t out[WG_HASH_LEN], const uint8_t *a, size_t a_len,
	       const uint8_t *b, size_t b_len)
{
	unsigned int len = 0;

	if (!EVP_DigestInit_ex2(c->hash, blake2s_md, NULL) ||
	    !EVP_DigestUpdate(c->hash, a, a_len) ||
	    (b_len != 0 && !EVP_DigestUpdate(c->hash, b, b_len)) ||
	    !EVP_DigestFinal_ex(c->hash, out, &len) || len != WG_HASH_LEN)
		return -1;
	return 0;
}

int
wg_crypto_mac(struct wg_crypto *c, uint8_t *out, size_t out_len, const uint8_t *key, size_t key_len,
	      const uint8_t *data, size_t data_len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &out_len),
		OSSL_PARAM_construct_end(),
	};
	size_t len = 0;

	if (!EVP_MAC_init(c->mac, key, key_len, params) ||
	    !EVP_MAC_update(c->mac, data, data_len) || !EVP_MAC_final(c->mac, out, &len, out_len) ||
	    len != out_len)
		return -1;
	return 0;
}

int
wg_crypto_hmac(struct wg_crypto *c, uint8_t out[WG_HASH_LEN], const uint8_t *key, size_t key_len,
	       const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	size_t len = 0;

	if (!EVP_MAC_init(c->hmac, key, key_len, NULL) || !EVP_MAC_update(c->hmac, a, a_len) ||
	    (b_len != 0 && !EVP_MAC_update(c->hmac, b, b_len)) ||
	    !EVP_MAC_final(c->hmac, out, &len, WG_HASH_LEN) || len != WG_HASH_LEN)
		return -1;
	return 0;
}

int
wg_crypto_kdf(struct wg_crypto *c, uint8_t t1[WG_HASH_LEN], uint8_t *t2, uint8_t *t3,
	      const uint8_t key[WG_HASH_LEN], const uint8_t *input, size_t input_len)
{
	uint8_t prk[WG_HASH_LEN];
	uint8_t out[3][WG_HASH_LEN];
	uint8_t i;
	int ret = -1;

	if (wg_crypto_hmac(c, prk, key, WG_HASH_LEN, input, input_len, NULL, 0) != 0)
		goto out;
	i = 1;
	if (wg_crypto_hmac(c, out[0], prk, WG_HASH_LEN, &i, 1, NULL, 0) != 0)
		goto out;
	i = 2;
	if (t2 != NULL &&
	    wg_crypto_hmac(c, out[1], prk, WG_HASH_LEN, out[0], WG_HASH_LEN, &i, 1) != 0)
		goto out;
	i = 3;
	if (t3 != NULL &&
	    wg_crypto_hmac(c, out[2], prk, WG_HASH_LEN, out[1], WG_HASH_LEN, &i, 1) != 0)
		goto out;
	/* Written last, so the outputs may alias the key. */
	memcpy(t1, out[0], WG_HASH_LEN);
	if (t2 != NULL)
		memcpy(t2, out[1], WG_HASH_LEN);
	if (t3 != NULL)
		memcpy(t3, out[2], WG_HASH_LEN);
	ret = 0;
out:
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(out, sizeof(out));
	return ret;
}

int
wg_crypto_x25519(uint8_t out[WG_KEY_LEN], const uint8_t private_key[WG_KEY_LEN],
		 const uint8_t public_key[WG_KEY_LEN])
{
	/* libsodium refuses (returns -1) when the shared point is all zeros. */
	if (crypto_scalarmult(out, private_key, public_key) != 0) {
		sodium_memzero(out, WG_KEY_LEN);
		return -1;
	}
	return 0;
}

void
wg_crypto_clamp(uint8_t private_key[WG_KEY_LEN])
{
	private_key[0] &= 248;
	private_key[31] &= 127;
	private_key[31] |= 64;
}

int
wg_crypto_public_key(uint8_t public_key[WG_KEY_LEN], const uint8_t private_key[WG_KEY_LEN])
{
	if (crypto_scalarmult_base(public_key, private_key) != 0) {
		sodium_memzero(public_key, WG_KEY_LEN);
		return -1;
	}
	return 0;
}

int
wg_crypto_generate_keypair(const struct wg_env *env, uint8_t private_key[WG_KEY_LEN],
			   uint8_t public_key[WG_KEY_LEN])
{
	wg_env_random(env, private_key, WG_KEY_LEN);
	wg_crypto_clamp(private_key);
	if (wg_crypto_public_key(public_key, private_key) != 0) {
		sodium_memzero(private_key, WG_KEY_LEN);
		return -1;
	}
	return 0;
}

static void
counter_nonce(uint8_t nonce[WG_AEAD_NONCE_LEN], uint64_t counter)
{
	uint64_t le = htole64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, sizeof(le));
}

void
wg_crypto_aead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		    const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len)
{
	uint8_t nonce[WG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, in_len, ad, ad_len, NULL, nonce,
						  key);
}

int
wg_crypto_aead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter,
		    const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len)
{
	uint8_t nonce[WG_AEAD_NONCE_LEN];

	if (in_len < WG_AEAD_TAG_LEN)
		return -1;
	counter_nonce(nonce, counter);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, in_len, ad, ad_len,
						      nonce, key) != 0) {
		if (in_len > WG_AEAD_TAG_LEN)
			sodium_memzero(out, in_len - WG_AEAD_TAG_LEN);
		return -1;
	}
	return 0;
}

void
wg_crypto_xaead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN],
		     const uint8_t nonce[WG_XAEAD_NONCE_LEN], const uint8_t *in, size_t in_len,
		     const uint8_t *ad, size_t ad_len)
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, in, in_len, ad, ad_len, NULL, nonce,
						   key);
}

int
wg_crypto_xaead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN],
		     const uint8_t nonce[WG_XAEAD_NONCE_LEN], const uint8_t *in, size_t in_len,
		     const uint8_t *ad, size_t ad_len)
{
	if (in_len < WG_AEAD_TAG_LEN)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in, in_len, ad, ad_len,
						       nonce, key) != 0) {
		if (in_len > WG_AEAD_TAG_LEN)
			sodium_memzero(out, in_len - WG_AEAD_TAG_LEN);
		return -1;
	}
	return 0;
}

void
wg_crypto_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t realtime_ns)
{
	/* TAI64 labels start at 2^62; TAI was 10 s ahead of UTC when the label was defined. */
	uint64_t seconds = htobe64(0x400000000000000aULL + realtime_ns / 1000000000ULL);
	uint32_t nanoseconds = htobe32((uint32_t)(realtime_ns % 1000000000ULL) & ~((1U << 24) - 1));

	memcpy(out, &seconds, sizeof(seconds));
	memcpy(out + sizeof(seconds), &nanoseconds, sizeof(nanoseconds));
}

bool
wg_crypto_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool
wg_crypto_is_zero(const uint8_t *a, size_t len)
{
	return sodium_is_zero(a, len) == 1;
}
