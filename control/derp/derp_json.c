/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "derp_json.h"

enum {
	NAME_MAX_LEN = 64,
};

struct cursor {
	const char *p;
	const char *end;
	const char *why;
};

static void
skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
fail(struct cursor *c, const char *why)
{
	c->why = why;
	return -1;
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int
read_hex4(struct cursor *c, uint32_t *out)
{
	uint32_t v = 0;

	if (c->end - c->p < 4)
		return fail(c, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = hex_value(c->p[i]);

		if (h < 0)
			return fail(c, "bad \\u escape");
		v = v << 4 | (uint32_t)h;
	}
	c->p += 4;
	*out = v;
	return 0;
}

/* Appends a code point as UTF-8 to out (when out is not NULL and there is room). */
static int
emit(struct cursor *c, char *out, size_t size, size_t *len, uint32_t cp)
{
	char tmp[4];
	size_t n;

	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | cp >> 6);
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | cp >> 12);
		tmp[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | cp >> 18);
		tmp[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		tmp[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (out != NULL) {
		if (*len + n >= size)
			return fail(c, "string too long");
		memcpy(out + *len, tmp, n);
	}
	*len += n;
	return 0;
}

/* Decodes one UTF-8 sequence of raw string text, refusing overlongs and surrogates. */
static int
read_utf8(struct cursor *c, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)c->p;
	size_t avail = (size_t)(c->end - c->p), n;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		c->p++;
		return 0;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		v = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		v = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		v = s[0] & 0x07;
		min = 0x10000;
	} else {
		return fail(c, "invalid UTF-8");
	}
	if (avail < n)
		return fail(c, "invalid UTF-8");
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return fail(c, "invalid UTF-8");
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return fail(c, "invalid UTF-8");
	c->p += n;
	*cp = v;
	return 0;
}

/* Reads a string at c->p (the opening quote); stores it in out (size bytes) unless NULL. */
static int
read_string(struct cursor *c, char *out, size_t size)
{
	size_t len = 0;

	if (c->p >= c->end || *c->p != '"')
		return fail(c, "expected string");
	c->p++;
	for (;;) {
		uint32_t cp;

		if (c->p >= c->end)
			return fail(c, "unterminated string");
		if (*c->p == '"') {
			c->p++;
			break;
		}
		if ((unsigned char)*c->p < 0x20)
			return fail(c, "control character in string");
		if (*c->p != '\\') {
			if (read_utf8(c, &cp) < 0)
				return -1;
		} else {
			c->p++;
			if (c->p >= c->end)
				return fail(c, "unterminated string");
			switch (*c->p++) {
			case '"':
				cp = '"';
				break;
			case '\\':
				cp = '\\';
				break;
			case '/':
				cp = '/';
				break;
			case 'b':
				cp = '\b';
				break;
			case 'f':
				cp = '\f';
				break;
			case 'n':
				cp = '\n';
				break;
			case 'r':
				cp = '\r';
				break;
			case 't':
				cp = '\t';
				break;
			case 'u':
				if (read_hex4(c, &cp) < 0)
					return -1;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					uint32_t low;

					if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
						return fail(c, "lone surrogate");
					c->p += 2;
					if (read_hex4(c, &low) < 0)
						return -1;
					if (low < 0xdc00 || low > 0xdfff)
						return fail(c, "lone surrogate");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					return fail(c, "lone surrogate");
				}
				/* A NUL would cut the C string short: refuse it. */
				if (cp == 0)
					return fail(c, "NUL in string");
				break;
			default:
				return fail(c, "bad escape");
			}
		}
		if (emit(c, out, size, &len, cp) < 0)
			return -1;
	}
	if (out != NULL)
		out[len] = '\0';
	return 0;
}

/* JSON number grammar; integers only when want_int (then *value receives it). */
static int
read_number(struct cursor *c, bool want_int, int64_t *value)
{
	bool negative = false, integral = true;
	uint64_t magnitude = 0;

	if (c->p < c->end && *c->p == '-') {
		negative = true;
		c->p++;
	}
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return fail(c, "bad number");
	if (*c->p == '0') {
		c->p++;
	} else {
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
			uint64_t digit = (uint64_t)(*c->p - '0');

			if (magnitude > (UINT64_MAX - digit) / 10)
				return fail(c, "number out of range");
			magnitude = magnitude * 10 + digit;
			c->p++;
		}
	}
	if (c->p < c->end && *c->p == '.') {
		integral = false;
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return fail(c, "bad number");
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		integral = false;
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return fail(c, "bad number");
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (!want_int)
		return 0;
	if (!integral)
		return fail(c, "expected an integer");
	if (magnitude > (uint64_t)INT64_MAX + (negative ? 1 : 0))
		return fail(c, "number out of range");
	*value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return 0;
}

static bool
match_word(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Skips a scalar value of an unknown member; objects and arrays are refused. */
static int
skip_value(struct cursor *c)
{
	if (c->p >= c->end)
		return fail(c, "expected value");
	switch (*c->p) {
	case '"':
		return read_string(c, NULL, 0);
	case 't':
		return match_word(c, "true") ? 0 : fail(c, "bad literal");
	case 'f':
		return match_word(c, "false") ? 0 : fail(c, "bad literal");
	case 'n':
		return match_word(c, "null") ? 0 : fail(c, "bad literal");
	case '{':
	case '[':
		return fail(c, "nested value");
	default:
		return read_number(c, false, NULL);
	}
}

static int
read_member_value(struct cursor *c, struct derp_json_member *m)
{
	if (match_word(c, "null"))
		return 0;
	switch (m->type) {
	case DERP_JSON_INT: {
		int64_t v;

		if (read_number(c, true, &v) < 0)
			return -1;
		if (v < m->min || v > m->max)
			return fail(c, "number out of range");
		*(int64_t *)m->out = v;
		break;
	}
	case DERP_JSON_BOOL:
		if (match_word(c, "true"))
			*(bool *)m->out = true;
		else if (match_word(c, "false"))
			*(bool *)m->out = false;
		else
			return fail(c, "expected true or false");
		break;
	case DERP_JSON_STRING:
		if (read_string(c, m->out, m->string_size) < 0)
			return -1;
		break;
	}
	m->present = true;
	return 0;
}

int
derp_json_read_object(const char *text, size_t length, struct derp_json_member *members,
		      size_t count, const char **why)
{
	struct cursor c = {text, text + length, NULL};
	bool seen[count > 0 ? count : 1];

	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < count; i++)
		members[i].present = false;
	skip_space(&c);
	if (c.p >= c.end || *c.p != '{') {
		*why = "expected an object";
		return -1;
	}
	c.p++;
	skip_space(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
	} else {
		for (;;) {
			char name[NAME_MAX_LEN];
			struct derp_json_member *m = NULL;

			skip_space(&c);
			if (read_string(&c, name, sizeof(name)) < 0)
				goto error;
			skip_space(&c);
			if (c.p >= c.end || *c.p != ':') {
				fail(&c, "expected ':'");
				goto error;
			}
			c.p++;
			skip_space(&c);
			for (size_t i = 0; i < count; i++) {
				if (strcasecmp(name, members[i].name) == 0) {
					if (seen[i]) {
						fail(&c, "duplicate member");
						goto error;
					}
					seen[i] = true;
					m = &members[i];
					break;
				}
			}
			if ((m != NULL ? read_member_value(&c, m) : skip_value(&c)) < 0)
				goto error;
			skip_space(&c);
			if (c.p < c.end && *c.p == ',') {
				c.p++;
				continue;
			}
			if (c.p < c.end && *c.p == '}') {
				c.p++;
				break;
			}
			fail(&c, "expected ',' or '}'");
			goto error;
		}
	}
	skip_space(&c);
	if (c.p != c.end) {
		*why = "trailing bytes after the object";
		return -1;
	}
	return 0;
error:
	*why = c.why;
	return -1;
}

void
derp_json_begin(struct derp_json_writer *w, char *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->len = 0;
	w->overflow = size == 0;
	w->first = true;
	if (!w->overflow)
		w->buf[0] = '\0';
}

static void
put_raw(struct derp_json_writer *w, const char *s, size_t n)
{
	if (w->overflow || w->len + n >= w->size) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
put_quoted(struct derp_json_writer *w, const char *s)
{
	put_raw(w, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			put_raw(w, esc, 2);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			put_raw(w, esc, 6);
		} else {
			put_raw(w, s, 1);
		}
	}
	put_raw(w, "\"", 1);
}

static void
put_name(struct derp_json_writer *w, const char *name)
{
	put_raw(w, w->first ? "{" : ",", 1);
	w->first = false;
	put_quoted(w, name);
	put_raw(w, ":", 1);
}

void
derp_json_int(struct derp_json_writer *w, const char *name, int64_t value)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", (long long)value);

	put_name(w, name);
	put_raw(w, num, (size_t)n);
}

void
derp_json_bool(struct derp_json_writer *w, const char *name, bool value)
{
	put_name(w, name);
	put_raw(w, value ? "true" : "false", value ? 4 : 5);
}

void
derp_json_string(struct derp_json_writer *w, const char *name, const char *value)
{
	put_name(w, name);
	put_quoted(w, value);
}

int
derp_json_finish(struct derp_json_writer *w)
{
	if (w->first)
		put_raw(w, "{", 1);
	put_raw(w, "}", 1);
	return w->overflow ? -1 : (int)w->len;
}
