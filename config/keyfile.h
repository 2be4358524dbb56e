/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key files: one base64 key and an optional newline, as `wg genkey > file` writes it, in a
 * regular file that neither group nor others may access. Internal to the config library.
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

#endif
