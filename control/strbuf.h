/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growable text buffer for replies the control plane writes (UAPI, exitgatectl, JSON). Once an
 * allocation fails the buffer stays failed and every later append is a no-op, so callers check
 * once at the end. Secrets written into it are wiped by strbuf_free.
 */
#ifndef EXITGATE_CONTROL_STRBUF_H
#define EXITGATE_CONTROL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 = no limit */
	bool failed;
};

void strbuf_init(struct strbuf *b, size_t max);
void strbuf_free(struct strbuf *b);
void strbuf_reset(struct strbuf *b);
void strbuf_append(struct strbuf *b, const char *data, size_t len);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON string literal with escapes, quotes included. */
void strbuf_json_string(struct strbuf *b, const char *s);

#endif
