/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The normalised config as YAML: every key of the schema in its order, defaults filled in,
 * values that are not set written as null, strings double-quoted. The output loads again to an
 * equal config (with show_secrets; hidden keys print as (hidden), which does not load).
 */
#include <stdio.h>
#include <string.h>

#include "config_error.h"
#include "config_schema.h"

enum {
	INDENT_STEP = 2,
	INVALID_CODE_POINT = 0xffffffff,
};

/* One UTF-8 sequence; a malformed one is a single byte with INVALID_CODE_POINT. */
static size_t
utf8_decode(const unsigned char *p, uint32_t *code_point)
{
	uint32_t c = p[0];
	size_t n;

	if (c < 0x80) {
		*code_point = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		c &= 0x07;
	} else {
		*code_point = INVALID_CODE_POINT;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*code_point = INVALID_CODE_POINT;
			return 1;
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*code_point = c;
	return n;
}

/* Characters YAML lets stand raw in a double-quoted scalar without folding them. */
static bool
printable_raw(uint32_t c)
{
	if (c == 0x2028 || c == 0x2029 || c == 0xfeff)
		return false;
	return (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
	       (c >= 0x10000 && c <= 0x10ffff);
}

static void
print_string(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	fputc('"', out);
	while (*p != '\0') {
		uint32_t c;
		size_t n = utf8_decode(p, &c);

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", (char)c);
		else if (c == INVALID_CODE_POINT || c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", p[0]);
		else if (c < 0x80 || printable_raw(c))
			fwrite(p, 1, n, out);
		else if (c <= 0xffff)
			fprintf(out, "\\u%04x", (unsigned int)c);
		else
			fprintf(out, "\\U%08x", (unsigned int)c);
		p += n;
	}
	fputc('"', out);
}

/* Starts each line of a map; the first line of a list item carries the "- ". */
struct line_start {
	FILE *out;
	unsigned int indent;
	bool dash;
};

static void
begin_line(struct line_start *line, const char *name)
{
	if (line->dash) {
		fprintf(line->out, "%*s- %s:", (int)(line->indent - INDENT_STEP), "", name);
		line->dash = false;
	} else {
		fprintf(line->out, "%*s%s:", (int)line->indent, "", name);
	}
}

static bool
is_given(const struct schema_field *f, const void *base)
{
	return f->flag == 0 || *(const bool *)schema_member_const(base, f->flag - 1);
}

/* An inline key whose value came from a key file prints as null: the file holds it. */
static bool
key_from_file(const struct schema_map *map, const struct schema_field *key, const void *base)
{
	for (size_t i = 0; i < map->field_count; i++) {
		const struct schema_field *f = &map->fields[i];

		if (f->kind == SCHEMA_KEY_FILE && f->aux == key->offset &&
		    *(char *const *)schema_member_const(base, f->offset) != NULL)
			return true;
	}
	return false;
}

static void
print_list(FILE *out, const struct schema_field *f, const void *base)
{
	const void *array = *(const void *const *)schema_member_const(base, f->offset);
	size_t count = *(const size_t *)schema_member_const(base, f->aux);
	char text[NETADDR_TEXT_MAX];

	fputs(" [", out);
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			fputs(", ", out);
		switch (f->kind) {
		case SCHEMA_STRING_LIST:
			print_string(out, ((char *const *)array)[i]);
			break;
		case SCHEMA_CIDR_LIST:
			print_string(out, netprefix_format(&((const struct netprefix *)array)[i],
							   text, sizeof(text)));
			break;
		case SCHEMA_ENDPOINT_LIST:
			print_string(out,
				     netendpoint_format(&((const struct netendpoint *)array)[i],
							text, sizeof(text)));
			break;
		default:
			fputs(f->choices->names[((const int *)array)[i]], out);
			break;
		}
	}
	fputs("]\n", out);
}

static void print_map(const struct schema_map *map, const void *base, FILE *out,
		      unsigned int indent, bool dash, bool show_secrets);

static void
print_field(const struct schema_map *map, const struct schema_field *f, const void *base,
	    struct line_start *line, bool show_secrets)
{
	const void *value = schema_member_const(base, f->offset);
	FILE *out = line->out;
	char text[NETADDR_TEXT_MAX];

	begin_line(line, f->name);
	if (f->kind != SCHEMA_MAP && !is_given(f, base)) {
		fputs(" null\n", out);
		return;
	}
	switch (f->kind) {
	case SCHEMA_STRING:
	case SCHEMA_KEY_FILE:
		if (*(char *const *)value == NULL) {
			fputs(" null\n", out);
			return;
		}
		fputc(' ', out);
		print_string(out, *(char *const *)value);
		break;
	case SCHEMA_IFNAME:
		fputc(' ', out);
		print_string(out, value);
		break;
	case SCHEMA_BOOL:
		fputs(*(const bool *)value ? " true" : " false", out);
		break;
	case SCHEMA_UINT:
		fprintf(out, " %u",
			f->width == 2 ? *(const uint16_t *)value : *(const uint32_t *)value);
		break;
	case SCHEMA_INT:
		fprintf(out, " %d", *(const int32_t *)value);
		break;
	case SCHEMA_ENUM:
		fprintf(out, " %s", f->choices->names[*(const int *)value]);
		break;
	case SCHEMA_KEY: {
		char key[KEY_BASE64_LEN + 1];

		if (key_from_file(map, f, base)) {
			fputs(" null", out);
		} else if ((f->flags & SCHEMA_SECRET) && !show_secrets) {
			fputs(" (hidden)", out);
		} else {
			key_to_base64(key, value);
			fprintf(out, " \"%s\"", key);
		}
		break;
	}
	case SCHEMA_ADDRESS:
		if (((const struct netaddr *)value)->family == 0) {
			fputs(" null", out);
			break;
		}
		fputc(' ', out);
		print_string(out, netaddr_format(value, text, sizeof(text)));
		break;
	case SCHEMA_ENDPOINT:
		fputc(' ', out);
		print_string(out, netendpoint_format(value, text, sizeof(text)));
		break;
	case SCHEMA_MAC: {
		const uint8_t *mac = value;

		fprintf(out, " \"%02x:%02x:%02x:%02x:%02x:%02x\"", mac[0], mac[1], mac[2], mac[3],
			mac[4], mac[5]);
		break;
	}
	case SCHEMA_PORT_RANGE:
		fprintf(out, " [%u, %u]", *(const uint16_t *)value,
			*(const uint16_t *)schema_member_const(base, f->aux));
		break;
	case SCHEMA_STRING_LIST:
	case SCHEMA_CIDR_LIST:
	case SCHEMA_ENDPOINT_LIST:
	case SCHEMA_ENUM_LIST:
		print_list(out, f, base);
		return;
	case SCHEMA_MAP:
		if (!is_given(f, base)) {
			fputs(" null\n", out);
			return;
		}
		fputc('\n', out);
		print_map(f->map, value, out, line->indent + INDENT_STEP, false, show_secrets);
		return;
	case SCHEMA_MAP_LIST: {
		const char *array = *(const char *const *)value;
		size_t count = *(const size_t *)schema_member_const(base, f->aux);

		if (count == 0) {
			fputs(" []\n", out);
			return;
		}
		fputc('\n', out);
		for (size_t i = 0; i < count; i++)
			print_map(f->map, array + i * f->map->size, out,
				  line->indent + 2 * INDENT_STEP, true, show_secrets);
		return;
	}
	}
	fputc('\n', out);
}

static void
print_map(const struct schema_map *map, const void *base, FILE *out, unsigned int indent,
	  bool dash, bool show_secrets)
{
	struct line_start line = { .out = out, .indent = indent, .dash = dash };

	for (size_t i = 0; i < map->field_count; i++) {
		if (!(map->fields[i].flags & SCHEMA_ALIAS))
			print_field(map, &map->fields[i], base, &line, show_secrets);
	}
}

void
config_print(const struct config *config, FILE *out, bool show_secrets)
{
	char quoted[CONFIG_QUOTE_MAX], public_key[KEY_BASE64_LEN + 1];

	key_to_base64(public_key, config->node.public_key);
	fprintf(out, "# exitgate configuration, normalised from %s\n",
		config_quote(quoted, config->source_path, strlen(config->source_path)));
	fprintf(out, "# node public key: %s\n", public_key);
	print_map(&config_schema, config, out, 0, false, show_secrets);
}
