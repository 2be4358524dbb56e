/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_crypto: ChaCha20-Poly1305 (RFC 8439, no AAD, 12-byte nonce, as WireGuard's transport
 * uses it) per packet through the three libraries exitgate has: Intel ipsec-mb (the job API in
 * bursts of 32, as the data plane calls it through dataplane/wg/transport.c, and its direct
 * API one packet at a time), OpenSSL 3 (EVP) and libsodium, at 64, 512 and 1420 bytes.
 *
 * Method: one pinned thread; each pass seals (or opens) MSGS distinct buffers in place, so the
 * data is as warm as freshly received packets and not a single buffer in L1. Opening needs
 * valid messages: before every open pass the buffers are sealed again by libsodium, outside
 * the timed region (which also checks that each library opens the others' output). A figure is
 * the median of BENCH_REPS segments; Gbit/s counts plaintext bytes.
 *
 *   bench_crypto [--seconds S] [--core N]     S: time per figure (default 1), N: CPU to pin
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "bench_util.h"
#include "log.h"
#include "messages.h"
#include "transport.h"

enum {
	MSGS = 256,        /* buffers per pass */
	BUF_STRIDE = 1536, /* per buffer: the largest size and its tag, cache-line multiple */
};

struct msg_set {
	uint32_t size;
	uint8_t key[WG_KEY_LEN];
	uint8_t nonce[MSGS][WG_AEAD_NONCE_LEN];
	uint8_t *buf; /* MSGS * BUF_STRIDE */
};

struct libs {
	struct wg_transport_ctx wg;
	EVP_CIPHER *chacha;
	EVP_CIPHER_CTX *evp_seal;
	EVP_CIPHER_CTX *evp_open;
};

struct impl {
	const char *name;
	void (*seal)(struct libs *libs, struct msg_set *set);
	unsigned (*open)(struct libs *libs, struct msg_set *set); /* how many verified */
};

static uint8_t *
msg_data(struct msg_set *set, unsigned i)
{
	return set->buf + (size_t)i * BUF_STRIDE;
}

static uint8_t *
msg_tag(struct msg_set *set, unsigned i)
{
	return msg_data(set, i) + set->size;
}

/* ---- ipsec-mb through the data plane's wrappers ---- */

static void
aead_ops(struct msg_set *set, unsigned base, unsigned n, struct wg_aead_op *ops)
{
	for (unsigned i = 0; i < n; i++)
		ops[i] = (struct wg_aead_op){
			.key = set->key,
			.nonce = set->nonce[base + i],
			.data = msg_data(set, base + i),
			.len = set->size,
			.tag = msg_tag(set, base + i),
		};
}

static void
imb_job_seal(struct libs *libs, struct msg_set *set)
{
	struct wg_aead_op ops[WG_TRANSPORT_BURST_MAX];

	for (unsigned base = 0; base < MSGS; base += WG_TRANSPORT_BURST_MAX) {
		aead_ops(set, base, WG_TRANSPORT_BURST_MAX, ops);
		wg_aead_seal_burst(&libs->wg, ops, WG_TRANSPORT_BURST_MAX);
	}
}

static unsigned
imb_job_open(struct libs *libs, struct msg_set *set)
{
	struct wg_aead_op ops[WG_TRANSPORT_BURST_MAX];
	unsigned ok = 0;

	for (unsigned base = 0; base < MSGS; base += WG_TRANSPORT_BURST_MAX) {
		aead_ops(set, base, WG_TRANSPORT_BURST_MAX, ops);
		ok += wg_aead_open_burst(&libs->wg, ops, WG_TRANSPORT_BURST_MAX);
	}
	return ok;
}

static void
imb_direct_seal(struct libs *libs, struct msg_set *set)
{
	struct wg_aead_op op;

	for (unsigned i = 0; i < MSGS; i++) {
		aead_ops(set, i, 1, &op);
		wg_aead_seal(&libs->wg, &op);
	}
}

static unsigned
imb_direct_open(struct libs *libs, struct msg_set *set)
{
	struct wg_aead_op op;
	unsigned ok = 0;

	for (unsigned i = 0; i < MSGS; i++) {
		aead_ops(set, i, 1, &op);
		ok += wg_aead_open(&libs->wg, &op) == WG_TRANSPORT_OK;
	}
	return ok;
}

/* ---- OpenSSL EVP: one context per direction, re-keyed per packet ---- */

static void
openssl_seal(struct libs *libs, struct msg_set *set)
{
	EVP_CIPHER_CTX *c = libs->evp_seal;

	for (unsigned i = 0; i < MSGS; i++) {
		uint8_t *data = msg_data(set, i);
		int len = 0, fin = 0;

		if (EVP_EncryptInit_ex(c, NULL, NULL, set->key, set->nonce[i]) != 1 ||
		    EVP_EncryptUpdate(c, data, &len, data, (int)set->size) != 1 ||
		    EVP_EncryptFinal_ex(c, data + len, &fin) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, WG_AEAD_TAG_LEN,
					msg_tag(set, i)) != 1) {
			log_error("bench_crypto: OpenSSL seal failed");
			exit(1);
		}
	}
}

static unsigned
openssl_open(struct libs *libs, struct msg_set *set)
{
	EVP_CIPHER_CTX *c = libs->evp_open;
	unsigned ok = 0;

	for (unsigned i = 0; i < MSGS; i++) {
		uint8_t *data = msg_data(set, i);
		int len = 0, fin = 0;

		if (EVP_DecryptInit_ex(c, NULL, NULL, set->key, set->nonce[i]) != 1 ||
		    EVP_DecryptUpdate(c, data, &len, data, (int)set->size) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, WG_AEAD_TAG_LEN,
					msg_tag(set, i)) != 1)
			continue;
		ok += EVP_DecryptFinal_ex(c, data + len, &fin) == 1;
	}
	return ok;
}

/* ---- libsodium ---- */

static void
sodium_seal(struct libs *libs, struct msg_set *set)
{
	(void)libs;
	for (unsigned i = 0; i < MSGS; i++) {
		uint8_t *data = msg_data(set, i);

		crypto_aead_chacha20poly1305_ietf_encrypt_detached(data, msg_tag(set, i), NULL,
								   data, set->size, NULL, 0,
								   NULL, set->nonce[i], set->key);
	}
}

static unsigned
sodium_open(struct libs *libs, struct msg_set *set)
{
	unsigned ok = 0;

	(void)libs;
	for (unsigned i = 0; i < MSGS; i++) {
		uint8_t *data = msg_data(set, i);

		ok += crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			      data, NULL, data, set->size, msg_tag(set, i), NULL, 0, set->nonce[i],
			      set->key) == 0;
	}
	return ok;
}

static const struct impl impls[] = {
	{"ipsec-mb job API, burst 32", imb_job_seal, imb_job_open},
	{"ipsec-mb direct API", imb_direct_seal, imb_direct_open},
	{"OpenSSL EVP", openssl_seal, openssl_open},
	{"libsodium", sodium_seal, sodium_open},
};

static int
libs_init(struct libs *libs)
{
	memset(libs, 0, sizeof(*libs));
	if (wg_transport_ctx_init(&libs->wg) != 0)
		return -1;
	libs->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	libs->evp_seal = EVP_CIPHER_CTX_new();
	libs->evp_open = EVP_CIPHER_CTX_new();
	if (libs->chacha == NULL || libs->evp_seal == NULL || libs->evp_open == NULL ||
	    EVP_EncryptInit_ex(libs->evp_seal, libs->chacha, NULL, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex(libs->evp_open, libs->chacha, NULL, NULL, NULL) != 1) {
		log_error("bench_crypto: OpenSSL ChaCha20-Poly1305 unavailable");
		return -1;
	}
	return 0;
}

static void
libs_fini(struct libs *libs)
{
	EVP_CIPHER_CTX_free(libs->evp_seal);
	EVP_CIPHER_CTX_free(libs->evp_open);
	EVP_CIPHER_free(libs->chacha);
	if (libs->wg.mgr != NULL)
		wg_transport_ctx_fini(&libs->wg);
}

/* Median ns per packet of one operation of one library over BENCH_REPS segments. */
static double
measure(struct libs *libs, const struct impl *impl, bool open, struct msg_set *set,
	double seconds)
{
	uint64_t segment_ns = (uint64_t)(seconds * 1e9 / BENCH_REPS);
	double per_packet[BENCH_REPS];

	for (int rep = -1; rep < BENCH_REPS; rep++) { /* rep -1 warms up */
		uint64_t timed = 0, passes = 0;

		do {
			uint64_t t0;

			if (open) {
				unsigned ok;

				sodium_seal(libs, set);
				t0 = bench_now_ns();
				ok = impl->open(libs, set);
				timed += bench_now_ns() - t0;
				if (ok != MSGS) {
					log_error("bench_crypto: %s opened %u of %u messages",
						  impl->name, ok, (unsigned)MSGS);
					exit(1);
				}
			} else {
				t0 = bench_now_ns();
				impl->seal(libs, set);
				timed += bench_now_ns() - t0;
			}
			passes++;
		} while (timed < segment_ns && rep >= 0);
		if (rep >= 0)
			per_packet[rep] = (double)timed / (double)(passes * MSGS);
	}
	return bench_median(per_packet, BENCH_REPS);
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: bench_crypto [--seconds S] [--core N]\n"
		     "  ChaCha20-Poly1305 per packet through ipsec-mb, OpenSSL and libsodium.\n"
		     "  --seconds S  time per figure (default 1)\n"
		     "  --core N     CPU to pin to (default: the highest one allowed)\n");
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"seconds", required_argument, NULL, 's'},
		{"core", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double seconds = 1;
	int core = bench_default_core(), cpus = bench_cpu_count();
	struct msg_set set;
	struct libs libs;
	char cpu[128];
	int opt, rc = 1;

	log_set_program("bench_crypto");
	while ((opt = getopt_long(argc, argv, "s:c:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			seconds = bench_parse_seconds(optarg);
			if (seconds < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'c':
			core = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0 || bench_pin(core) != 0)
		return 1;
	memset(&libs, 0, sizeof(libs));
	memset(&set, 0, sizeof(set));
	set.buf = aligned_alloc(64, (size_t)MSGS * BUF_STRIDE);
	if (set.buf == NULL || libs_init(&libs) != 0)
		goto out;
	randombytes_buf(set.key, sizeof(set.key));
	randombytes_buf(set.buf, (size_t)MSGS * BUF_STRIDE);
	for (unsigned i = 0; i < MSGS; i++) {
		uint64_t le = htole64(i);

		memcpy(set.nonce[i] + 4, &le, sizeof(le));
	}

	bench_cpu_model(cpu, sizeof(cpu));
	printf("ChaCha20-Poly1305 per packet: in place, no AAD, %u buffers per pass, "
	       "median of %d segments, %.2g s per figure\n", (unsigned)MSGS, BENCH_REPS, seconds);
	printf("cpu: %s (%d CPUs), pinned to core %d\n", cpu, cpus, core);
	printf("ipsec-mb %s (%s), %s, libsodium %s\n", imb_get_version_str(),
	       wg_transport_ctx_arch(&libs.wg), OpenSSL_version(OPENSSL_VERSION),
	       sodium_version_string());
	printf("%-28s %5s  %12s %7s %7s  %12s %7s %7s\n", "library", "bytes", "seal ns/pkt",
	       "Mpps", "Gbit/s", "open ns/pkt", "Mpps", "Gbit/s");
	for (int s = 0; s < BENCH_SIZE_COUNT; s++) {
		set.size = bench_sizes[s];
		for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
			double seal = measure(&libs, &impls[i], false, &set, seconds);
			double open = measure(&libs, &impls[i], true, &set, seconds);

			printf("%-28s %5u  %12.1f %7.2f %7.2f  %12.1f %7.2f %7.2f\n", impls[i].name,
			       set.size, seal, 1e3 / seal, set.size * 8 / seal, open, 1e3 / open,
			       set.size * 8 / open);
			fflush(stdout);
		}
	}
	rc = 0;
out:
	libs_fini(&libs);
	sodium_memzero(set.key, sizeof(set.key));
	free(set.buf);
	return rc;
}
