/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_crypto: ChaCha20-Poly1305 throughput of the candidates for WireGuard transport data, on
 * one pinned core: ipsec-mb one packet at a time (exitgate's wg_transport_seal/open), ipsec-mb
 * through the job API in bursts of 32 (wg_transport_seal_burst/open_burst, what the workers
 * use), OpenSSL EVP and libsodium, at 64, 512 and 1420 bytes of plaintext.
 *
 *   bench_crypto [-c CPU] [-t SECONDS]
 *
 * Encryption is in place, nonce from a counter, no AAD, as WireGuard does. Decryption runs on
 * copies of valid messages (a memcpy per packet, the same for every candidate) since it works in
 * place. Gbit/s counts plaintext bytes.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "transport.h"

enum {
	BURST = WG_TRANSPORT_BURST_MAX,
	MAX_PLAINTEXT = 1420,
	MSG_SIZE = WG_MSG_TRANSPORT_HEADER_LEN + MAX_PLAINTEXT + WG_AEAD_TAG_LEN,
};

struct bench {
	struct wg_transport_ctx transport;
	EVP_CIPHER_CTX *evp;
	EVP_CIPHER *chacha;
	uint8_t key[32];
	uint8_t pristine[BURST][MSG_SIZE]; /* valid messages, for decryption */
	uint8_t work[BURST][MSG_SIZE];
	double seconds;
};

struct result {
	double packets_per_s;
	double gbit_per_s;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nonce_of(uint8_t nonce[12], uint64_t counter)
{
	uint64_t le = htole64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, 8);
}

/* ---- the candidates: each handles BURST packets of len bytes per call ---- */

static int
ipsecmb_single_seal(struct bench *b, size_t len, uint64_t counter)
{
	unsigned i;

	for (i = 0; i < BURST; i++)
		wg_transport_seal(&b->transport, b->key, 1, counter + i, b->work[i], len,
				  MAX_PLAINTEXT);
	return 0;
}

static int
ipsecmb_single_open(struct bench *b, size_t len, uint64_t counter)
{
	unsigned i;
	int bad = 0;

	(void)counter;
	for (i = 0; i < BURST; i++) {
		memcpy(b->work[i], b->pristine[i], len + 32);
		bad |= wg_transport_open(&b->transport, b->key, i, b->work[i], len + 32);
	}
	return bad;
}

static int
ipsecmb_burst_seal(struct bench *b, size_t len, uint64_t counter)
{
	struct wg_transport_op ops[BURST];
	unsigned i;

	for (i = 0; i < BURST; i++)
		ops[i] = (struct wg_transport_op){ .key = b->key,
						   .msg = b->work[i],
						   .payload_len = (uint32_t)len,
						   .receiver = 1,
						   .counter = counter + i };
	return wg_transport_seal_burst(&b->transport, ops, BURST, MAX_PLAINTEXT) == BURST ? 0 : -1;
}

static int
ipsecmb_burst_open(struct bench *b, size_t len, uint64_t counter)
{
	struct wg_transport_op ops[BURST];
	unsigned i;

	(void)counter;
	for (i = 0; i < BURST; i++) {
		memcpy(b->work[i], b->pristine[i], len + 32);
		ops[i] = (struct wg_transport_op){
			.key = b->key, .msg = b->work[i], .payload_len = (uint32_t)len, .counter = i
		};
	}
	return wg_transport_open_burst(&b->transport, ops, BURST) == BURST ? 0 : -1;
}

static int
openssl_seal(struct bench *b, size_t len, uint64_t counter)
{
	uint8_t nonce[12];
	unsigned i;
	int out_len;

	for (i = 0; i < BURST; i++) {
		uint8_t *p = b->work[i] + 16;

		nonce_of(nonce, counter + i);
		if (!EVP_EncryptInit_ex2(b->evp, NULL, NULL, nonce, NULL) ||
		    !EVP_EncryptUpdate(b->evp, p, &out_len, p, (int)len) ||
		    !EVP_EncryptFinal_ex(b->evp, p + len, &out_len) ||
		    !EVP_CIPHER_CTX_ctrl(b->evp, EVP_CTRL_AEAD_GET_TAG, 16, p + len))
			return -1;
	}
	return 0;
}

static int
openssl_open(struct bench *b, size_t len, uint64_t counter)
{
	uint8_t nonce[12];
	unsigned i;
	int out_len;

	(void)counter;
	for (i = 0; i < BURST; i++) {
		uint8_t *p = b->work[i] + 16;

		memcpy(b->work[i], b->pristine[i], len + 32);
		nonce_of(nonce, i);
		if (!EVP_DecryptInit_ex2(b->evp, NULL, NULL, nonce, NULL) ||
		    !EVP_CIPHER_CTX_ctrl(b->evp, EVP_CTRL_AEAD_SET_TAG, 16, p + len) ||
		    !EVP_DecryptUpdate(b->evp, p, &out_len, p, (int)len) ||
		    EVP_DecryptFinal_ex(b->evp, p + len, &out_len) <= 0)
			return -1;
	}
	return 0;
}

static int
sodium_seal(struct bench *b, size_t len, uint64_t counter)
{
	uint8_t nonce[12];
	unsigned i;

	for (i = 0; i < BURST; i++) {
		uint8_t *p = b->work[i] + 16;

		nonce_of(nonce, counter + i);
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(p, p + len, NULL, p, len, NULL,
								   0, NULL, nonce, b->key);
	}
	return 0;
}

static int
sodium_open(struct bench *b, size_t len, uint64_t counter)
{
	uint8_t nonce[12];
	unsigned i;
	int bad = 0;

	(void)counter;
	for (i = 0; i < BURST; i++) {
		uint8_t *p = b->work[i] + 16;

		memcpy(b->work[i], b->pristine[i], len + 32);
		nonce_of(nonce, i);
		bad |= crypto_aead_chacha20poly1305_ietf_decrypt_detached(p, NULL, p, len, p + len,
									  NULL, 0, nonce, b->key);
	}
	return bad;
}

struct candidate {
	const char *name;
	int (*seal)(struct bench *b, size_t len, uint64_t counter);
	int (*open)(struct bench *b, size_t len, uint64_t counter);
};

static const struct candidate candidates[] = {
	{ "ipsec-mb single", ipsecmb_single_seal, ipsecmb_single_open },
	{ "ipsec-mb burst32", ipsecmb_burst_seal, ipsecmb_burst_open },
	{ "openssl evp", openssl_seal, openssl_open },
	{ "libsodium", sodium_seal, sodium_open },
};

/* Valid messages of len bytes (sealed with counters 0..BURST-1) for the decryption runs. */
static void
prepare(struct bench *b, size_t len)
{
	unsigned i;

	for (i = 0; i < BURST; i++) {
		randombytes_buf(b->pristine[i] + 16, len);
		wg_transport_seal(&b->transport, b->key, 1, i, b->pristine[i], len, len);
		memcpy(b->work[i], b->pristine[i], len + 32);
	}
}

static int
measure(struct bench *b, int (*fn)(struct bench *, size_t, uint64_t), size_t len, struct result *r)
{
	uint64_t packets = 0;
	double start = now_s();
	double elapsed;

	do {
		unsigned k;

		for (k = 0; k < 64; k++) {
			if (fn(b, len, packets) != 0)
				return -1;
			packets += BURST;
		}
		elapsed = now_s() - start;
	} while (elapsed < b->seconds);
	r->packets_per_s = (double)packets / elapsed;
	r->gbit_per_s = r->packets_per_s * (double)len * 8 / 1e9;
	return 0;
}

static void
cpu_model(char *out, size_t size)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, size, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			snprintf(out, size, "%s", colon + 2);
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 512, 1420 };
	struct bench *b;
	char model[128];
	cpu_set_t set;
	long cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	double seconds = 0.5;
	size_t si, ci;
	int opt;

	while ((opt = getopt(argc, argv, "c:t:")) != -1) {
		if (opt == 'c')
			cpu = strtol(optarg, NULL, 10);
		else if (opt == 't')
			seconds = strtod(optarg, NULL);
		else {
			fprintf(stderr, "usage: bench_crypto [-c CPU] [-t SECONDS]\n");
			return 2;
		}
	}
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "bench_crypto: pin to cpu %ld: %s\n", cpu, strerror(errno));
		return 1;
	}
	if (sodium_init() < 0)
		return 1;
	b = aligned_alloc(64, sizeof(*b));
	if (b == NULL || wg_transport_ctx_init(&b->transport) != 0)
		return 1;
	b->seconds = seconds;
	randombytes_buf(b->key, sizeof(b->key));
	b->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	b->evp = EVP_CIPHER_CTX_new();
	if (b->chacha == NULL || b->evp == NULL ||
	    !EVP_EncryptInit_ex2(b->evp, b->chacha, b->key, NULL, NULL)) {
		fprintf(stderr, "bench_crypto: OpenSSL ChaCha20-Poly1305 unavailable\n");
		return 1;
	}
	cpu_model(model, sizeof(model));
	printf("bench_crypto: cpu %ld (%s), ipsec-mb %s (%s), OpenSSL %s, libsodium %s\n", cpu,
	       model, IMB_VERSION_STR, wg_transport_ctx_arch(&b->transport),
	       OpenSSL_version(OPENSSL_VERSION_STRING), sodium_version_string());
	printf("%-17s %5s %14s %9s %14s %9s\n", "implementation", "bytes", "encrypt pkt/s",
	       "Gbit/s", "decrypt pkt/s", "Gbit/s");
	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (ci = 0; ci < sizeof(candidates) / sizeof(candidates[0]); ci++) {
			const struct candidate *c = &candidates[ci];
			struct result enc, dec;

			prepare(b, sizes[si]);
			/* EVP keeps its own direction: re-key it for each */
			EVP_EncryptInit_ex2(b->evp, b->chacha, b->key, NULL, NULL);
			if (measure(b, c->seal, sizes[si], &enc) != 0) {
				fprintf(stderr, "bench_crypto: %s: encryption failed\n", c->name);
				return 1;
			}
			EVP_DecryptInit_ex2(b->evp, b->chacha, b->key, NULL, NULL);
			if (measure(b, c->open, sizes[si], &dec) != 0) {
				fprintf(stderr, "bench_crypto: %s: decryption failed\n", c->name);
				return 1;
			}
			printf("%-17s %5zu %14.0f %9.2f %14.0f %9.2f\n", c->name, sizes[si],
			       enc.packets_per_s, enc.gbit_per_s, dec.packets_per_s,
			       dec.gbit_per_s);
		}
	}
	EVP_CIPHER_CTX_free(b->evp);
	EVP_CIPHER_free(b->chacha);
	wg_transport_ctx_fini(&b->transport);
	free(b);
	return 0;
}
