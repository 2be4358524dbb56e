/* SPDX-License-Identifier: BSD-3-Clause */
/* Key files and secret files. The buffer that held the key text is wiped on every path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config_error.h"
#include "keyfile.h"

enum {
	/* the key, a newline, and one byte more to notice anything longer */
	KEYFILE_READ_MAX = KEY_BASE64_LEN + 2,
	TOKEN_FILE_MAX = 4096,
};

static int
read_key_text(int fd, char *buf, size_t size, size_t *length)
{
	size_t used = 0;

	while (used < size) {
		ssize_t n = read(fd, buf + used, size - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*length = used;
	return 0;
}

int
secret_file_read(const char *what, const char *path, const char *base_dir, char *buf,
		 size_t size, size_t *length, char *why, size_t why_size)
{
	char full[PATH_MAX], quoted[CONFIG_QUOTE_MAX];
	struct stat st;
	int fd, rc = -1;

	if (path[0] != '/' && base_dir != NULL)
		snprintf(full, sizeof(full), "%s/%s", base_dir, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	config_quote(quoted, full, strlen(full));
	/* Look before opening: opening some devices has effects (a watchdog starts, a tape
	 * rewinds), and a FIFO would block. The opened file is checked again below. */
	if (stat(full, &st) < 0) {
		snprintf(why, why_size, "cannot read %s %s: %s", what, quoted, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "%s %s is not a regular file", what, quoted);
		return -1;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, why_size, "cannot read %s %s: %s", what, quoted, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, why_size, "cannot read %s %s: %s", what, quoted, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "%s %s is not a regular file", what, quoted);
		goto out_close;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(why, why_size,
			 "%s %s has mode %04o: group or others can access it; "
			 "fix with chmod 600 %s",
			 what, quoted, (unsigned int)(st.st_mode & 07777), full);
		goto out_close;
	}
	if (read_key_text(fd, buf, size, length) < 0) {
		snprintf(why, why_size, "cannot read %s %s: %s", what, quoted, strerror(errno));
		sodium_memzero(buf, size);
		goto out_close;
	}
	rc = 0;
out_close:
	close(fd);
	return rc;
}

int
keyfile_read(const char *path, const char *base_dir, uint8_t key[KEY_LEN], char *why,
	     size_t why_size)
{
	char full[PATH_MAX], quoted[CONFIG_QUOTE_MAX];
	char text[KEYFILE_READ_MAX + 1];
	size_t length = 0;
	int rc = -1;

	if (secret_file_read("key file", path, base_dir, text, KEYFILE_READ_MAX, &length, why,
			     why_size) < 0)
		return -1;
	if (length == KEY_BASE64_LEN + 1 && text[KEY_BASE64_LEN] == '\n')
		length--;
	text[length] = '\0';
	if (length != KEY_BASE64_LEN || key_from_base64(key, text) < 0) {
		if (path[0] != '/' && base_dir != NULL)
			snprintf(full, sizeof(full), "%s/%s", base_dir, path);
		else
			snprintf(full, sizeof(full), "%s", path);
		config_quote(quoted, full, strlen(full));
		snprintf(why, why_size,
			 "key file %s does not hold one base64 key (44 characters and an "
			 "optional newline)",
			 quoted);
		goto out_wipe;
	}
	rc = 0;
out_wipe:
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
token_file_read(const char *what, const char *path, const char *base_dir, char *out, size_t size,
		char *why, size_t why_size)
{
	char text[TOKEN_FILE_MAX + 3];
	size_t len = 0;
	int rc = -1;

	if (size < 2 || size > TOKEN_FILE_MAX + 1) {
		snprintf(why, why_size, "%s: token buffer of %zu bytes", what, size);
		return -1;
	}
	/* one byte more than the longest token with its CR LF shows a longer file */
	if (secret_file_read(what, path, base_dir, text, size + 2, &len, why, why_size) < 0)
		return -1;
	text[len] = '\0';
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len > 0 && text[len - 1] == '\r')
		text[--len] = '\0';
	if (len == 0 || len >= size) {
		snprintf(why, why_size, "%s %s: the token is empty or longer than %zu characters",
			 what, path, size - 1);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] <= ' ' || text[i] >= 0x7f) {
			snprintf(why, why_size,
				 "%s %s does not hold one token (one line of printable characters "
				 "without spaces)",
				 what, path);
			goto out;
		}
	}
	memcpy(out, text, len + 1);
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	return rc;
}
