/* SPDX-License-Identifier: BSD-3-Clause */
/* Error lines and the pieces that go into them. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config_error.h"

enum {
	SUGGEST_WORD_MAX = 64, /* longer words are not typos of any key */
};

void
config_error_set(char *error, size_t size, const char *name, unsigned int line,
		 unsigned int column, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_error_vset(error, size, name, line, column, path, fmt, ap);
	va_end(ap);
}

void
config_error_vset(char *error, size_t size, const char *name, unsigned int line,
		  unsigned int column, const char *path, const char *fmt, va_list ap)
{
	size_t used;
	int n;

	if (error == NULL || size == 0)
		return;
	if (line > 0)
		n = snprintf(error, size, "%s:%u:%u: ", name, line, column);
	else
		n = snprintf(error, size, "%s: ", name);
	used = n < 0 ? 0 : (size_t)n;
	if (used < size && path != NULL && path[0] != '\0') {
		n = snprintf(error + used, size - used, "%s: ", path);
		used += n < 0 ? 0 : (size_t)n;
	}
	if (used < size)
		vsnprintf(error + used, size - used, fmt, ap);
	for (char *p = error; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
}

const char *
config_quote(char buf[CONFIG_QUOTE_MAX], const char *text, size_t length)
{
	/* room for the closing quote, "..." and the NUL */
	const size_t limit = CONFIG_QUOTE_MAX - 6;
	size_t out = 0;

	buf[out++] = '"';
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];
		char esc[5];
		size_t n;

		if (c == '"' || c == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			n = (size_t)snprintf(esc, sizeof(esc), "%c", c);
		if (out + n > limit) {
			memcpy(buf + out, "...", 3);
			out += 3;
			break;
		}
		memcpy(buf + out, esc, n);
		out += n;
	}
	buf[out++] = '"';
	buf[out] = '\0';
	return buf;
}

void
config_path_member(char buf[CONFIG_PATH_MAX], const char *path, const char *name)
{
	if (path[0] == '\0')
		snprintf(buf, CONFIG_PATH_MAX, "%s", name);
	else
		snprintf(buf, CONFIG_PATH_MAX, "%s.%s", path, name);
}

void
config_path_index(char buf[CONFIG_PATH_MAX], const char *path, size_t index)
{
	snprintf(buf, CONFIG_PATH_MAX, "%s[%zu]", path, index);
}

/* Levenshtein distance with two rows; both words are at most SUGGEST_WORD_MAX long. */
static size_t
edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t row[SUGGEST_WORD_MAX + 1], prev[SUGGEST_WORD_MAX + 1];

	for (size_t j = 0; j <= blen; j++)
		prev[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		row[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t substitute = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t remove = prev[j] + 1;
			size_t insert = row[j - 1] + 1;
			size_t best = substitute < remove ? substitute : remove;

			row[j] = best < insert ? best : insert;
		}
		memcpy(prev, row, (blen + 1) * sizeof(row[0]));
	}
	return prev[blen];
}

const char *
config_suggest(const char *word, const char *const *candidates, size_t count)
{
	size_t wlen = strnlen(word, SUGGEST_WORD_MAX + 1);
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;

	if (wlen > SUGGEST_WORD_MAX)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		size_t clen = strnlen(candidates[i], SUGGEST_WORD_MAX + 1);
		size_t d, limit;

		if (clen > SUGGEST_WORD_MAX)
			continue;
		d = edit_distance(word, wlen, candidates[i], clen);
		/* a third of the key may be wrong, and one character always */
		limit = clen / 3 > 1 ? clen / 3 : 1;
		if (d <= limit && d < best_distance) {
			best = candidates[i];
			best_distance = d;
		}
	}
	return best;
}
