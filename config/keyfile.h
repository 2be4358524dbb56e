/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key files and other secret files. A secret file is a regular file that neither group nor
 * others may access; a key file holds one base64 key and an optional newline, as
 * `wg genkey > file` writes it. keyfile_read is internal to the config library; secret_file_read
 * is shared with the modules that read secrets of their own (the tailnet auth key).
 */
#ifndef EXITGATE_KEYFILE_H
#define EXITGATE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "keytext.h"

/* Read the key at path (relative paths start at base_dir, or the working directory when
 * base_dir is NULL). Returns 0, or -1 with the reason in why (naming the file). */
int keyfile_read(const char *path, const char *base_dir, uint8_t key[KEY_LEN], char *why,
		 size_t why_size);

/*
 * Read up to size bytes of the secret file at path (relative paths as above) into buf and set
 * *length; what names the file in messages ("key file", "auth key file"). Returns 0, or -1 with
 * the reason in why. The caller wipes buf.
 */
int secret_file_read(const char *what, const char *path, const char *base_dir, char *buf,
		     size_t size, size_t *length, char *why, size_t why_size);

/*
 * Read a token file (a secret of one line: printable ASCII without spaces, 1..size-1
 * characters, an optional newline), such as a pre-auth key, with the rules of secret files.
 * Returns 0 with the token NUL-terminated in out, or -1 with the reason in why.
 */
int token_file_read(const char *what, const char *path, const char *base_dir, char *out,
		    size_t size, char *why, size_t why_size);

#endif
