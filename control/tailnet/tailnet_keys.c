/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto.h"
#include "keyfile.h"
#include "tailnet_keys.h"

enum {
	MACHINE_FILE_MAX = 128,
};

static const char machine_key_name[] = "machine.key";

int
tailnet_key_parse(const char *text, const char *prefix, uint8_t key[32])
{
	size_t plen = strlen(prefix), bin_len = 0;

	if (strncmp(text, prefix, plen) != 0 || strlen(text + plen) != TAILNET_KEY_HEX_LEN ||
	    strspn(text + plen, "0123456789abcdefABCDEF") != TAILNET_KEY_HEX_LEN)
		return -1;
	if (sodium_hex2bin(key, 32, text + plen, TAILNET_KEY_HEX_LEN, NULL, &bin_len, NULL) != 0 ||
	    bin_len != 32)
		return -1;
	return 0;
}

void
tailnet_key_format(char *out, size_t size, const char *prefix, const uint8_t key[32])
{
	char hex[TAILNET_KEY_HEX_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), key, 32);
	snprintf(out, size, "%s%s", prefix, hex);
}

static int
write_machine_key(const char *dir, const char *path, const uint8_t key[32], char *why,
		  size_t why_size)
{
	char tmp[PATH_MAX], text[TAILNET_KEY_TEXT_MAX + 1];
	size_t len;
	int fd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, machine_key_name) >= (int)sizeof(tmp)) {
		snprintf(why, why_size, "state directory path too long");
		return -1;
	}
	tailnet_key_format(text, sizeof(text) - 1, "privkey:", key);
	len = strlen(text);
	text[len++] = '\n';
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(why, why_size, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		snprintf(why, why_size, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	/* the key appears whole or not at all */
	if (rename(tmp, path) < 0) {
		snprintf(why, why_size, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
tailnet_machine_key_load(const char *dir, uint8_t private_key[32], bool *created, char *why,
			 size_t why_size)
{
	char path[PATH_MAX], text[MACHINE_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	int rc = -1;

	*created = false;
	if (snprintf(path, sizeof(path), "%s/%s", dir, machine_key_name) >= (int)sizeof(path)) {
		snprintf(why, why_size, "state directory path too long");
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(why, why_size, "cannot create state directory %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, why_size, "state directory %s is not a directory", dir);
		return -1;
	}
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT) {
			snprintf(why, why_size, "cannot read %s: %s", path, strerror(errno));
			return -1;
		}
		randombytes_buf(private_key, 32);
		wg_crypto_clamp(private_key);
		if (write_machine_key(dir, path, private_key, why, why_size) < 0) {
			sodium_memzero(private_key, 32);
			return -1;
		}
		*created = true;
		return 0;
	}
	if (secret_file_read("machine key file", path, NULL, text, MACHINE_FILE_MAX, &len, why,
			     why_size) < 0)
		return -1;
	text[len] = '\0';
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (tailnet_key_parse(text, "privkey:", private_key) < 0) {
		snprintf(why, why_size, "%s does not hold one machine key (privkey:<64 hex>)",
			 path);
		goto out;
	}
	wg_crypto_clamp(private_key);
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	return rc;
}
