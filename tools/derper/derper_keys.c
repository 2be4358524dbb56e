/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's X25519 identity: loaded from a 0600 file, created there when missing, or fresh. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "derper.h"
#include "keytext.h"
#include "log.h"

void
derper_key_short(const uint8_t key[DERP_KEY_LEN], char out[9])
{
	sodium_bin2hex(out, 9, key, 4);
}

static int
read_key_file(const char *path, int fd, uint8_t private_key[DERP_KEY_LEN])
{
	char text[KEY_BASE64_LEN + 3];
	struct stat st;
	ssize_t n;
	int rc = -1;

	if (fstat(fd, &st) < 0) {
		log_warn("key file %s: fstat: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		log_warn("key file %s: readable or writable by group or others (mode %04o); "
			 "chmod 600 it", path, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		log_warn("key file %s: read: %s", path, strerror(errno));
		return -1;
	}
	text[n] = '\0';
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	if (key_from_base64(private_key, text) < 0)
		log_warn("key file %s: not one base64 key", path);
	else
		rc = 0;
	sodium_memzero(text, sizeof(text));
	return rc;
}

static int
write_new_key_file(const char *path, const uint8_t private_key[DERP_KEY_LEN])
{
	char text[KEY_BASE64_LEN + 2];
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("key file %s: create: %s", path, strerror(errno));
		return -1;
	}
	key_to_base64(text, private_key);
	text[KEY_BASE64_LEN] = '\n';
	if (write(fd, text, KEY_BASE64_LEN + 1) != KEY_BASE64_LEN + 1 || fsync(fd) < 0)
		log_warn("key file %s: write: %s", path, strerror(errno));
	else
		rc = 0;
	sodium_memzero(text, sizeof(text));
	close(fd);
	if (rc < 0)
		unlink(path);
	return rc;
}

int
derper_load_or_create_key(const char *key_file, uint8_t private_key[DERP_KEY_LEN],
			  uint8_t public_key[DERP_KEY_LEN])
{
	if (key_file != NULL && key_file[0] != '\0') {
		int fd = open(key_file, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			int rc = read_key_file(key_file, fd, private_key);

			close(fd);
			if (rc < 0)
				return -1;
		} else if (errno == ENOENT) {
			crypto_box_keypair(public_key, private_key);
			if (write_new_key_file(key_file, private_key) < 0) {
				sodium_memzero(private_key, DERP_KEY_LEN);
				return -1;
			}
			log_info("key file %s: created a new relay key", key_file);
		} else {
			log_warn("key file %s: open: %s", key_file, strerror(errno));
			return -1;
		}
	} else {
		crypto_box_keypair(public_key, private_key);
	}
	crypto_scalarmult_base(public_key, private_key);
	return 0;
}
