/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The schema walker: YAML node tree -> config structs, one table row at a time. Values are
 * written into the struct as they are read, so on an error the caller frees the partly filled
 * struct with schema_free; every array is sized and counted before its items are read so that
 * the free sees each allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_error.h"
#include "config_schema.h"
#include "keyfile.h"
#include "netaddr.h"

enum {
	SCHEMA_FIELDS_MAX = 16,
	WHY_MAX = 256,
	NUMBER_DIGITS_MAX = 10, /* more is out of every range */
	MAC_LEN = 6,
	MAC_TEXT_LEN = 17,
};

int
config_loader_error(struct config_loader *loader, const struct ynode *node, const char *path,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (node == NULL)
		config_error_vset(loader->error, loader->error_size, loader->name, 0, 0, path, fmt,
				  ap);
	else
		config_error_vset(loader->error, loader->error_size, loader->name, node->line,
				  node->column, path, fmt, ap);
	va_end(ap);
	return -1;
}

const struct ynode *
ynode_member(const struct ynode *map, const char *key)
{
	if (map == NULL || map->kind != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->pair_count; i++) {
		const struct ynode *k = map->pairs[i].key;

		if (k->kind == YNODE_SCALAR && strcmp(k->value, key) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

static const char *
number_expectation(const struct schema_field *f)
{
	return f->kind == SCHEMA_INT ? "an integer" : "an unsigned integer";
}

/* "got ..." for a node of the wrong kind */
static const char *
describe_node(const struct ynode *node, char buf[CONFIG_QUOTE_MAX])
{
	if (ynode_is_null(node))
		return "null";
	if (node->kind == YNODE_SCALAR)
		return config_quote(buf, node->value, node->length);
	return node->kind == YNODE_MAPPING ? "a map" : "a list";
}

static int
wrong_kind(struct config_loader *loader, const struct ynode *node, const char *path,
	   const char *expected)
{
	char quoted[CONFIG_QUOTE_MAX];

	if (strcmp(expected, "a string") == 0 && ynode_is_null(node))
		return config_loader_error(loader, node, path,
					   "expected a string, got null (write \"\" for an empty "
					   "string)");
	return config_loader_error(loader, node, path, "expected %s, got %s", expected,
				   describe_node(node, quoted));
}

/* The text of a scalar that is meant as a string: no NUL, no control characters. */
static int
scalar_text(struct config_loader *loader, const struct ynode *node, const char *path,
	    const char *expected, const char **text)
{
	if (node->kind != YNODE_SCALAR || ynode_is_null(node))
		return wrong_kind(loader, node, path, expected);
	if (strlen(node->value) != node->length)
		return config_loader_error(loader, node, path, "NUL character in a string");
	for (size_t i = 0; i < node->length; i++) {
		unsigned char c = (unsigned char)node->value[i];

		if (c < 0x20 || c == 0x7f)
			return config_loader_error(loader, node, path,
						   "control character in a string");
	}
	*text = node->value;
	return 0;
}

/* A string value after the field's rules, newly allocated in *out. */
static int
load_string(struct config_loader *loader, const struct schema_field *f, const struct ynode *node,
	    const char *path, char **out)
{
	char why[WHY_MAX], quoted[CONFIG_QUOTE_MAX];
	const char *text;
	char *copy;

	if (scalar_text(loader, node, path, "a string", &text) < 0)
		return -1;
	if ((f->flags & SCHEMA_NONEMPTY) && text[0] == '\0')
		return config_loader_error(loader, node, path, "must not be empty");
	copy = strdup(text);
	if (copy == NULL)
		return config_loader_error(loader, node, path, "out of memory");
	if (f->check != NULL && f->check(copy, why, sizeof(why)) < 0) {
		free(copy);
		return config_loader_error(loader, node, path, "bad value %s: %s",
					   config_quote(quoted, text, strlen(text)), why);
	}
	*out = copy;
	return 0;
}

static int
parse_number(struct config_loader *loader, const struct schema_field *f, const struct ynode *node,
	     const char *path, int64_t *out)
{
	const char *digits, *text;
	char quoted[CONFIG_QUOTE_MAX];
	int64_t value = 0;
	size_t n;

	if (scalar_text(loader, node, path, number_expectation(f), &text) < 0)
		return -1;
	digits = text;
	if (f->kind == SCHEMA_INT && digits[0] == '-')
		digits++;
	n = strspn(digits, "0123456789");
	if (n == 0 || digits[n] != '\0')
		return wrong_kind(loader, node, path, number_expectation(f));
	if (n > 1 && digits[0] == '0')
		return config_loader_error(loader, node, path,
					   "bad number %s: leading zero (YAML 1.1 reads it as "
					   "octal)",
					   config_quote(quoted, text, node->length));
	if (n > NUMBER_DIGITS_MAX)
		return config_loader_error(loader, node, path, "%s out of range %lld..%lld",
					   config_quote(quoted, text, node->length),
					   (long long)f->min, (long long)f->max);
	for (size_t i = 0; i < n; i++)
		value = value * 10 + (digits[i] - '0');
	if (digits != text)
		value = -value;
	if (value < f->min || value > f->max)
		return config_loader_error(loader, node, path, "%lld out of range %lld..%lld",
					   (long long)value, (long long)f->min, (long long)f->max);
	if ((f->flags & SCHEMA_POW2) && (value & (value - 1)) != 0)
		return config_loader_error(loader, node, path,
					   "%lld is not a power of two (%lld..%lld)",
					   (long long)value, (long long)f->min, (long long)f->max);
	*out = value;
	return 0;
}

static void
store_uint(void *base, const struct schema_field *f, int64_t value)
{
	if (f->width == 2)
		*(uint16_t *)schema_member(base, f->offset) = (uint16_t)value;
	else
		*(uint32_t *)schema_member(base, f->offset) = (uint32_t)value;
}

static int
parse_choice(struct config_loader *loader, const struct schema_choices *choices,
	     const struct ynode *node, const char *path, int *out)
{
	char quoted[CONFIG_QUOTE_MAX], list[WHY_MAX];
	size_t used = 0;

	if (node->kind == YNODE_SCALAR && strlen(node->value) == node->length) {
		for (size_t i = 0; i < choices->count; i++) {
			if (strcmp(node->value, choices->names[i]) == 0) {
				*out = (int)i;
				return 0;
			}
		}
	}
	list[0] = '\0';
	for (size_t i = 0; i < choices->count && used < sizeof(list); i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? ", " : "",
				 choices->names[i]);
		used += n < 0 ? 0 : (size_t)n;
	}
	if (node->kind != YNODE_SCALAR || ynode_is_null(node))
		return config_loader_error(loader, node, path, "expected one of: %s; got %s", list,
					   describe_node(node, quoted));
	return config_loader_error(loader, node, path, "bad value %s (expected one of: %s)",
				   config_quote(quoted, node->value, node->length), list);
}

static bool
is_hex_text(const char *text, size_t length)
{
	return strspn(text, "0123456789abcdefABCDEF") == length;
}

/* Key errors never quote the text: it may be a private key with a typo in it. */
static int
parse_key(struct config_loader *loader, const struct ynode *node, const char *path,
	  uint8_t key[KEY_LEN])
{
	const char *text;

	if (scalar_text(loader, node, path, "a base64 key", &text) < 0)
		return -1;
	if (key_from_base64(key, text) == 0)
		return 0;
	if (node->length == KEY_HEX_LEN && is_hex_text(text, node->length))
		return config_loader_error(loader, node, path,
					   "bad key: this is hex; keys are written in base64 "
					   "(44 characters, as wg genkey prints them)");
	if (node->length != KEY_BASE64_LEN)
		return config_loader_error(loader, node, path,
					   "bad key: %zu characters, a key is 44 (base64 of 32 "
					   "bytes)",
					   node->length);
	return config_loader_error(loader, node, path, "bad key: not the base64 of 32 bytes");
}

static int
parse_mac(struct config_loader *loader, const struct ynode *node, const char *path,
	  uint8_t mac[MAC_LEN])
{
	char quoted[CONFIG_QUOTE_MAX];
	const char *text;
	bool zero = true;

	if (scalar_text(loader, node, path, "a MAC address", &text) < 0)
		return -1;
	config_quote(quoted, text, node->length);
	if (node->length != MAC_TEXT_LEN)
		goto bad_form;
	for (size_t i = 0; i < MAC_LEN; i++) {
		const char *pair = text + 3 * i;
		unsigned int byte;

		if (!is_hex_text(pair, 2) || (i < MAC_LEN - 1 && pair[2] != ':'))
			goto bad_form;
		sscanf(pair, "%2x", &byte);
		mac[i] = (uint8_t)byte;
		zero = zero && byte == 0;
	}
	if (zero)
		return config_loader_error(loader, node, path, "bad MAC address %s: all zero",
					   quoted);
	if (mac[0] & 1)
		return config_loader_error(loader, node, path,
					   "bad MAC address %s: multicast (the lowest bit of the "
					   "first byte is set)",
					   quoted);
	return 0;
bad_form:
	return config_loader_error(loader, node, path,
				   "bad MAC address %s: expected six hex pairs separated by ':'",
				   quoted);
}

static int
parse_prefix(struct config_loader *loader, const struct schema_field *f, const struct ynode *node,
	     const char *path, struct netprefix *out)
{
	char quoted[CONFIG_QUOTE_MAX], canonical[NETADDR_TEXT_MAX];
	const char *text, *why;

	if (scalar_text(loader, node, path, "a CIDR prefix", &text) < 0)
		return -1;
	config_quote(quoted, text, node->length);
	if (netprefix_parse(text, out, &why) < 0)
		return config_loader_error(loader, node, path, "bad CIDR %s: %s", quoted, why);
	if ((f->flags & SCHEMA_CANONICAL) && !netprefix_is_canonical(out)) {
		struct netprefix masked = *out;
		unsigned int bits = out->addr.family == AF_INET ? 32 : 128;

		for (unsigned int i = out->len; i < bits; i++)
			masked.addr.bytes[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
		return config_loader_error(loader, node, path,
					   "bad CIDR %s: host bits set (did you mean %s?)", quoted,
					   netprefix_format(&masked, canonical, sizeof(canonical)));
	}
	return 0;
}

static int
parse_endpoint(struct config_loader *loader, const struct ynode *node, const char *path,
	       struct netendpoint *out)
{
	char quoted[CONFIG_QUOTE_MAX];
	const char *text, *why;

	if (scalar_text(loader, node, path, "an endpoint (address:port)", &text) < 0)
		return -1;
	if (netendpoint_parse(text, out, &why) < 0)
		return config_loader_error(loader, node, path, "bad endpoint %s: %s",
					   config_quote(quoted, text, node->length), why);
	return 0;
}

static int
parse_address(struct config_loader *loader, const struct schema_field *f,
	      const struct ynode *node, const char *path, struct netaddr *out)
{
	char quoted[CONFIG_QUOTE_MAX];
	const char *text, *why;

	if (scalar_text(loader, node, path, "an IP address", &text) < 0)
		return -1;
	config_quote(quoted, text, node->length);
	if (netaddr_parse(text, out, &why) < 0)
		return config_loader_error(loader, node, path, "bad address %s: %s", quoted, why);
	if (out->family != f->family)
		return config_loader_error(loader, node, path, "bad address %s: not an %s address",
					   quoted, f->family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

/* A list node (or a lone scalar where the field allows it) as an array of items; one is the
 * caller's slot for the lone scalar. */
static int
list_items(struct config_loader *loader, const struct schema_field *f, const struct ynode *node,
	   const char *path, const struct ynode **one, const struct ynode *const **items,
	   size_t *count)
{
	if (node->kind == YNODE_SEQUENCE) {
		*items = (const struct ynode *const *)node->items;
		*count = node->item_count;
	} else if ((f->flags & SCHEMA_SCALAR_OK) && node->kind == YNODE_SCALAR &&
		   !ynode_is_null(node)) {
		*one = node;
		*items = one;
		*count = 1;
		return 0;
	} else {
		return wrong_kind(loader, node, path, "a list");
	}
	if (*count == 0 && (f->flags & SCHEMA_NONEMPTY))
		return config_loader_error(loader, node, path, "must not be empty");
	return 0;
}

/* Allocate a zeroed array of count elements at the field's offset and record its count. */
static int
list_alloc(struct config_loader *loader, const struct schema_field *f, const struct ynode *node,
	   const char *path, void *base, size_t count, size_t element)
{
	void *array = NULL;

	if (count > 0) {
		array = calloc(count, element);
		if (array == NULL)
			return config_loader_error(loader, node, path, "out of memory");
	}
	*(void **)schema_member(base, f->offset) = array;
	*(size_t *)schema_member(base, f->aux) = count;
	return 0;
}

static int
load_list(struct config_loader *loader, const struct schema_field *f, const struct ynode *node,
	  const char *path, void *base)
{
	static const size_t element_size[] = {
		[SCHEMA_STRING_LIST] = sizeof(char *),
		[SCHEMA_CIDR_LIST] = sizeof(struct netprefix),
		[SCHEMA_ENDPOINT_LIST] = sizeof(struct netendpoint),
		[SCHEMA_ENUM_LIST] = sizeof(int),
	};
	const struct ynode *const *items;
	const struct ynode *one;
	char item_path[CONFIG_PATH_MAX];
	size_t count;
	void *array;

	if (list_items(loader, f, node, path, &one, &items, &count) < 0 ||
	    list_alloc(loader, f, node, path, base, count, element_size[f->kind]) < 0)
		return -1;
	array = *(void **)schema_member(base, f->offset);
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = items[i];
		int rc = 0;

		/* a lone scalar standing for a list of one is named as written */
		if (node->kind == YNODE_SEQUENCE)
			config_path_index(item_path, path, i);
		else
			snprintf(item_path, sizeof(item_path), "%s", path);
		switch (f->kind) {
		case SCHEMA_STRING_LIST:
			rc = load_string(loader, f, item, item_path, &((char **)array)[i]);
			break;
		case SCHEMA_CIDR_LIST:
			rc = parse_prefix(loader, f, item, item_path,
					  &((struct netprefix *)array)[i]);
			break;
		case SCHEMA_ENDPOINT_LIST:
			rc = parse_endpoint(loader, item, item_path,
					    &((struct netendpoint *)array)[i]);
			break;
		default: {
			int *values = array;

			rc = parse_choice(loader, f->choices, item, item_path, &values[i]);
			for (size_t j = 0; rc == 0 && (f->flags & SCHEMA_UNIQUE) && j < i; j++) {
				if (values[j] == values[i])
					rc = config_loader_error(loader, item, item_path,
								 "\"%s\" listed twice",
								 f->choices->names[values[i]]);
			}
			break;
		}
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
load_port_range(struct config_loader *loader, const struct schema_field *f,
		const struct ynode *node, const char *path, void *base)
{
	struct schema_field port = *f;
	char item_path[CONFIG_PATH_MAX];
	int64_t ends[2];

	if (node->kind == YNODE_SEQUENCE && node->item_count != 2)
		return config_loader_error(loader, node, path,
					   "expected a list of two ports [low, high], got %zu "
					   "item%s",
					   node->item_count, node->item_count == 1 ? "" : "s");
	if (node->kind != YNODE_SEQUENCE)
		return wrong_kind(loader, node, path, "a list of two ports [low, high]");
	port.kind = SCHEMA_UINT;
	for (size_t i = 0; i < 2; i++) {
		config_path_index(item_path, path, i);
		if (parse_number(loader, &port, node->items[i], item_path, &ends[i]) < 0)
			return -1;
	}
	if (ends[0] > ends[1])
		return config_loader_error(loader, node, path, "low port %lld above high port %lld",
					   (long long)ends[0], (long long)ends[1]);
	*(uint16_t *)schema_member(base, f->offset) = (uint16_t)ends[0];
	*(uint16_t *)schema_member(base, f->aux) = (uint16_t)ends[1];
	return 0;
}

static int
load_map_list(struct config_loader *loader, const struct schema_field *f,
	      const struct ynode *node, const char *path, void *base)
{
	const struct ynode *const *items;
	const struct ynode *one;
	char item_path[CONFIG_PATH_MAX];
	size_t count;
	char *array;

	if (list_items(loader, f, node, path, &one, &items, &count) < 0 ||
	    list_alloc(loader, f, node, path, base, count, f->map->size) < 0)
		return -1;
	array = *(char **)schema_member(base, f->offset);
	for (size_t i = 0; i < count; i++) {
		void *element = array + i * f->map->size;

		config_path_index(item_path, path, i);
		if (schema_set_defaults(f->map, element) < 0)
			return config_loader_error(loader, items[i], item_path, "out of memory");
		if (schema_load_map(loader, f->map, items[i], item_path, element, i) < 0)
			return -1;
	}
	return 0;
}

static void
set_given(void *base, const struct schema_field *f)
{
	if (f->flag != 0)
		*(bool *)schema_member(base, f->flag - 1) = true;
}

static int
load_key_file(struct config_loader *loader, const struct schema_field *f,
	      const struct ynode *node, const char *path, void *base)
{
	char **stored = schema_member(base, f->offset);
	char why[CONFIG_ERROR_MAX];
	char *file;

	if (load_string(loader, f, node, path, &file) < 0)
		return -1;
	free(*stored);
	*stored = file;
	if (keyfile_read(file, loader->base_dir, schema_member(base, f->aux), why,
			 sizeof(why)) < 0)
		return config_loader_error(loader, node, path, "%s", why);
	set_given(base, f);
	return 0;
}

static int
load_field(struct config_loader *loader, const struct schema_field *f, const struct ynode *node,
	   const char *path, void *base)
{
	void *value = schema_member(base, f->offset);
	char why[WHY_MAX];
	int64_t number;
	int choice;

	switch (f->kind) {
	case SCHEMA_STRING: {
		char *text;

		if (load_string(loader, f, node, path, &text) < 0)
			return -1;
		free(*(char **)value);
		*(char **)value = text;
		return 0;
	}
	case SCHEMA_IFNAME: {
		char quoted[CONFIG_QUOTE_MAX], name[CONFIG_INTERFACE_NAME_MAX + 1];
		const char *text;

		if (scalar_text(loader, node, path, "an interface name", &text) < 0)
			return -1;
		config_quote(quoted, text, node->length);
		if (text[0] == '\0')
			return config_loader_error(loader, node, path, "must not be empty");
		if (node->length > CONFIG_INTERFACE_NAME_MAX)
			return config_loader_error(loader, node, path,
						   "bad value %s: longer than %d characters",
						   quoted, CONFIG_INTERFACE_NAME_MAX);
		memcpy(name, text, node->length + 1);
		if (f->check != NULL && f->check(name, why, sizeof(why)) < 0)
			return config_loader_error(loader, node, path, "bad value %s: %s", quoted,
						   why);
		memcpy(value, name, node->length + 1);
		return 0;
	}
	case SCHEMA_BOOL: {
		const char *text;

		if (scalar_text(loader, node, path, "true or false", &text) < 0)
			return -1;
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
			return wrong_kind(loader, node, path, "true or false");
		*(bool *)value = strcmp(text, "true") == 0;
		return 0;
	}
	case SCHEMA_UINT:
		if (parse_number(loader, f, node, path, &number) < 0)
			return -1;
		store_uint(base, f, number);
		return 0;
	case SCHEMA_INT:
		if (parse_number(loader, f, node, path, &number) < 0)
			return -1;
		*(int32_t *)value = (int32_t)number;
		return 0;
	case SCHEMA_ENUM:
		if (parse_choice(loader, f->choices, node, path, &choice) < 0)
			return -1;
		*(int *)value = choice;
		return 0;
	case SCHEMA_KEY:
		if (parse_key(loader, node, path, value) < 0)
			return -1;
		set_given(base, f);
		return 0;
	case SCHEMA_KEY_FILE:
		return load_key_file(loader, f, node, path, base);
	case SCHEMA_ADDRESS:
		return parse_address(loader, f, node, path, value);
	case SCHEMA_ENDPOINT:
		if (parse_endpoint(loader, node, path, value) < 0)
			return -1;
		set_given(base, f);
		return 0;
	case SCHEMA_MAC:
		if (parse_mac(loader, node, path, value) < 0)
			return -1;
		set_given(base, f);
		return 0;
	case SCHEMA_PORT_RANGE:
		return load_port_range(loader, f, node, path, base);
	case SCHEMA_STRING_LIST:
	case SCHEMA_CIDR_LIST:
	case SCHEMA_ENDPOINT_LIST:
	case SCHEMA_ENUM_LIST:
		return load_list(loader, f, node, path, base);
	case SCHEMA_MAP:
		if (f->flag != 0) {
			/* an optional map: its defaults apply only once it is given */
			set_given(base, f);
			if (schema_set_defaults(f->map, value) < 0)
				return config_loader_error(loader, node, path, "out of memory");
		}
		return schema_load_map(loader, f->map, node, path, value, 0);
	case SCHEMA_MAP_LIST:
		return load_map_list(loader, f, node, path, base);
	}
	return config_loader_error(loader, node, path, "unhandled schema kind");
}

static int
unknown_key(struct config_loader *loader, const struct schema_map *map, const struct ynode *key,
	    const char *path)
{
	const char *names[SCHEMA_FIELDS_MAX];
	char quoted[CONFIG_QUOTE_MAX], list[WHY_MAX];
	const char *nearest;
	size_t used = 0;

	for (size_t i = 0; i < map->field_count; i++)
		names[i] = map->fields[i].name;
	config_quote(quoted, key->value, key->length);
	nearest = config_suggest(key->value, names, map->field_count);
	if (nearest != NULL)
		return config_loader_error(loader, key, path,
					   "unknown key %s (did you mean \"%s\"?)", quoted,
					   nearest);
	list[0] = '\0';
	for (size_t i = 0; i < map->field_count && used < sizeof(list); i++) {
		int n;

		if (map->fields[i].flags & SCHEMA_ALIAS)
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%s", used > 0 ? ", " : "",
			     names[i]);
		used += n < 0 ? 0 : (size_t)n;
	}
	return config_loader_error(loader, key, path, "unknown key %s (known keys: %s)", quoted,
				   list);
}

static int
find_field(const struct schema_map *map, const struct ynode *key)
{
	for (size_t i = 0; i < map->field_count; i++) {
		if (strlen(map->fields[i].name) == key->length &&
		    strcmp(map->fields[i].name, key->value) == 0)
			return (int)i;
	}
	return -1;
}

int
schema_load_map(struct config_loader *loader, const struct schema_map *map,
		const struct ynode *node, const char *path, void *base, size_t index)
{
	const struct ynode *seen[SCHEMA_FIELDS_MAX] = { NULL };
	bool given[SCHEMA_FIELDS_MAX] = { false };
	char child[CONFIG_PATH_MAX];

	if (node->kind != YNODE_MAPPING)
		return wrong_kind(loader, node, path, "a map");
	if (map->field_count > SCHEMA_FIELDS_MAX)
		return config_loader_error(loader, node, path, "schema table too large");
	for (size_t p = 0; p < node->pair_count; p++) {
		const struct ynode *key = node->pairs[p].key, *value = node->pairs[p].value;
		const struct schema_field *f;
		int i;

		if (key->kind != YNODE_SCALAR)
			return config_loader_error(loader, key, path,
						   "map keys must be plain names, got a %s",
						   ynode_kind_name(key));
		i = find_field(map, key);
		if (i < 0)
			return unknown_key(loader, map, key, path);
		f = &map->fields[i];
		config_path_member(child, path, f->name);
		if (seen[i] != NULL)
			return config_loader_error(loader, key, child,
						   "duplicate key \"%s\" (first at line %u)",
						   f->name, seen[i]->line);
		seen[i] = key;
		if ((f->flags & SCHEMA_NULLABLE) && ynode_is_null(value))
			continue;
		for (size_t j = 0; f->group != 0 && j < map->field_count; j++) {
			if (given[j] && map->fields[j].group == f->group)
				return config_loader_error(loader, key, child,
							   "both %s and %s given; keep one",
							   map->fields[j].name, f->name);
		}
		given[i] = true;
		if (load_field(loader, f, value, child, base) < 0)
			return -1;
	}
	for (size_t i = 0; i < map->field_count; i++) {
		if ((map->fields[i].flags & SCHEMA_REQUIRED) && seen[i] == NULL) {
			config_path_member(child, path, map->fields[i].name);
			return config_loader_error(loader, node, child, "required key missing");
		}
	}
	if (map->finish != NULL)
		return map->finish(loader, node, path, base, index);
	return 0;
}

int
schema_set_defaults(const struct schema_map *map, void *base)
{
	for (size_t i = 0; i < map->field_count; i++) {
		const struct schema_field *f = &map->fields[i];
		void *value = schema_member(base, f->offset);

		switch (f->kind) {
		case SCHEMA_STRING:
			if (f->def_text != NULL) {
				*(char **)value = strdup(f->def_text);
				if (*(char **)value == NULL)
					return -1;
			}
			break;
		case SCHEMA_IFNAME:
			snprintf(value, CONFIG_INTERFACE_NAME_MAX + 1, "%s", f->def_text);
			break;
		case SCHEMA_BOOL:
			*(bool *)value = f->def != 0;
			break;
		case SCHEMA_UINT:
			store_uint(base, f, f->def);
			break;
		case SCHEMA_INT:
			*(int32_t *)value = (int32_t)f->def;
			break;
		case SCHEMA_ENUM:
			*(int *)value = (int)f->def;
			break;
		case SCHEMA_PORT_RANGE:
			*(uint16_t *)value = (uint16_t)f->def;
			*(uint16_t *)schema_member(base, f->aux) = (uint16_t)f->def_high;
			break;
		case SCHEMA_MAP:
			/* optional maps get their defaults when they are given */
			if (f->flag == 0 && schema_set_defaults(f->map, value) < 0)
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}
