/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "strbuf.h"

void
strbuf_init(struct strbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
strbuf_free(struct strbuf *b)
{
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

void
strbuf_reset(struct strbuf *b)
{
	if (b->data != NULL)
		sodium_memzero(b->data, b->len);
	b->len = 0;
	b->failed = false;
}

static bool
reserve(struct strbuf *b, size_t extra)
{
	size_t need, cap;
	char *grown;

	if (b->failed)
		return false;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	if (b->max != 0 && need > b->max) {
		b->failed = true;
		return false;
	}
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	/* no realloc: the old block may hold secrets and must be wiped, not left behind */
	grown = malloc(cap);
	if (grown == NULL) {
		b->failed = true;
		return false;
	}
	if (b->data != NULL) {
		memcpy(grown, b->data, b->len);
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void
strbuf_append(struct strbuf *b, const char *data, size_t len)
{
	if (!reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
strbuf_puts(struct strbuf *b, const char *s)
{
	strbuf_append(b, s, strlen(s));
}

void
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
strbuf_json_string(struct strbuf *b, const char *s)
{
	strbuf_append(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_printf(b, "\\%c", c);
		else if (c < 0x20)
			strbuf_printf(b, "\\u%04x", c);
		else
			strbuf_append(b, (const char *)&c, 1);
	}
	strbuf_append(b, "\"", 1);
}
