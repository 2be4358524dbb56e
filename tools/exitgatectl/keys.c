/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkey, genpsk, pubkey: the same text in and out as `wg genkey`, `wg genpsk` and `wg pubkey`
 * (one base64 key and a newline), so that either tool's keys work with the other.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "exitgatectl.h"
#include "keytext.h"
#include "log.h"

/* wg pubkey reads stdin to its end; more than this is not a key followed by whitespace */
enum {
	PUBKEY_INPUT_MAX = 4096,
};

static int
no_arguments(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: exitgatectl %s (it takes no arguments)\n", argv[0]);
		return -1;
	}
	return 0;
}

/* Keys written to a file should be private from the start: say so, as wg does. */
static void
warn_if_file_is_shared(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		log_warn("writing a key to a file that group or others can access; set umask 077 "
			 "first (exitgated refuses such key files)");
}

static int
print_key(const uint8_t key[KEY_LEN])
{
	char text[KEY_BASE64_LEN + 1];
	int rc = EXITGATECTL_OK;

	key_to_base64(text, key);
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
		log_error("write: %s", "output failed");
		rc = EXITGATECTL_FAILED;
	}
	sodium_memzero(text, sizeof(text));
	return rc;
}

/* 32 random bytes, clamped for X25519 as wg genkey does */
int
exitgatectl_genkey(int argc, char **argv)
{
	uint8_t key[KEY_LEN];
	int rc;

	if (no_arguments(argc, argv) < 0)
		return EXITGATECTL_USAGE;
	warn_if_file_is_shared();
	randombytes_buf(key, sizeof(key));
	key[0] &= 248;
	key[31] = (uint8_t)((key[31] & 127) | 64);
	rc = print_key(key);
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* 32 random bytes as they are: a preshared key is not a curve scalar */
int
exitgatectl_genpsk(int argc, char **argv)
{
	uint8_t key[KEY_LEN];
	int rc;

	if (no_arguments(argc, argv) < 0)
		return EXITGATECTL_USAGE;
	warn_if_file_is_shared();
	randombytes_buf(key, sizeof(key));
	rc = print_key(key);
	sodium_memzero(key, sizeof(key));
	return rc;
}

/*
 * The key is the first 44 characters of stdin; what follows may only be whitespace or NULs
 * (wg's rule: `echo key | wg pubkey` works, a key with a typo in its length does not).
 */
static int
read_private_key(uint8_t key[KEY_LEN])
{
	char input[PUBKEY_INPUT_MAX + 1];
	size_t length = fread(input, 1, sizeof(input), stdin);
	int rc = -1;

	if (ferror(stdin)) {
		log_error("pubkey: read: cannot read standard input");
		goto out;
	}
	if (length < KEY_BASE64_LEN || length > PUBKEY_INPUT_MAX) {
		log_error("pubkey: key is not the correct length or format");
		goto out;
	}
	for (size_t i = KEY_BASE64_LEN; i < length; i++) {
		if (input[i] != '\0' && strchr(" \t\n\v\f\r", input[i]) == NULL) {
			log_error("pubkey: trailing characters found after the key");
			goto out;
		}
	}
	input[KEY_BASE64_LEN] = '\0';
	if (key_from_base64(key, input) < 0) {
		log_error("pubkey: key is not the correct length or format");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(input, sizeof(input));
	return rc;
}

int
exitgatectl_pubkey(int argc, char **argv)
{
	uint8_t private_key[KEY_LEN], public_key[KEY_LEN];
	int rc = EXITGATECTL_FAILED;

	if (no_arguments(argc, argv) < 0)
		return EXITGATECTL_USAGE;
	if (read_private_key(private_key) < 0)
		goto out;
	/* crypto_scalarmult_base clamps its own copy of the scalar, as wg does */
	if (crypto_scalarmult_base(public_key, private_key) != 0) {
		log_error("pubkey: crypto_scalarmult_base: failed");
		goto out;
	}
	rc = print_key(public_key);
out:
	sodium_memzero(private_key, sizeof(private_key));
	return rc;
}
