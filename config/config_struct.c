/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Releasing and comparing config structs by the schema tables. Keys live inside the structs
 * (node, peers), so wiping each struct before it is freed wipes every secret.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config_schema.h"

void
schema_free(const struct schema_map *map, void *base)
{
	for (size_t i = 0; i < map->field_count; i++) {
		const struct schema_field *f = &map->fields[i];
		void *value = schema_member(base, f->offset);

		if (f->flags & SCHEMA_ALIAS)
			continue;
		switch (f->kind) {
		case SCHEMA_STRING:
		case SCHEMA_KEY_FILE:
			free(*(char **)value);
			*(char **)value = NULL;
			break;
		case SCHEMA_STRING_LIST: {
			char **strings = *(char ***)value;
			size_t count = *(size_t *)schema_member(base, f->aux);

			for (size_t j = 0; strings != NULL && j < count; j++)
				free(strings[j]);
			free(strings);
			*(char ***)value = NULL;
			break;
		}
		case SCHEMA_CIDR_LIST:
		case SCHEMA_ENDPOINT_LIST:
		case SCHEMA_ENUM_LIST:
			free(*(void **)value);
			*(void **)value = NULL;
			break;
		case SCHEMA_MAP:
			schema_free(f->map, value);
			break;
		case SCHEMA_MAP_LIST: {
			char *array = *(char **)value;
			size_t count = *(size_t *)schema_member(base, f->aux);

			if (array == NULL)
				break;
			for (size_t j = 0; j < count; j++)
				schema_free(f->map, array + j * f->map->size);
			sodium_memzero(array, count * f->map->size);
			free(array);
			*(void **)value = NULL;
			break;
		}
		default:
			break;
		}
	}
}

static bool
strings_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
prefixes_equal(const struct netprefix *a, const struct netprefix *b)
{
	return a->len == b->len && netaddr_equal(&a->addr, &b->addr);
}

static bool
lists_equal(const struct schema_field *f, const void *a, const void *b, size_t count)
{
	for (size_t j = 0; j < count; j++) {
		bool same;

		switch (f->kind) {
		case SCHEMA_STRING_LIST:
			same = strings_equal(((char *const *)a)[j], ((char *const *)b)[j]);
			break;
		case SCHEMA_CIDR_LIST:
			same = prefixes_equal(&((const struct netprefix *)a)[j],
					      &((const struct netprefix *)b)[j]);
			break;
		case SCHEMA_ENDPOINT_LIST:
			same = netendpoint_equal(&((const struct netendpoint *)a)[j],
						 &((const struct netendpoint *)b)[j]);
			break;
		default:
			same = ((const int *)a)[j] == ((const int *)b)[j];
			break;
		}
		if (!same)
			return false;
	}
	return true;
}

static bool
field_equal(const struct schema_field *f, const void *base_a, const void *base_b)
{
	const void *a = schema_member_const(base_a, f->offset);
	const void *b = schema_member_const(base_b, f->offset);

	if (f->flag != 0 && *(const bool *)schema_member_const(base_a, f->flag - 1) !=
				    *(const bool *)schema_member_const(base_b, f->flag - 1))
		return false;
	switch (f->kind) {
	case SCHEMA_STRING:
	case SCHEMA_KEY_FILE:
		return strings_equal(*(char *const *)a, *(char *const *)b);
	case SCHEMA_IFNAME:
		return strcmp(a, b) == 0;
	case SCHEMA_BOOL:
		return *(const bool *)a == *(const bool *)b;
	case SCHEMA_UINT:
		if (f->width == 2)
			return *(const uint16_t *)a == *(const uint16_t *)b;
		return *(const uint32_t *)a == *(const uint32_t *)b;
	case SCHEMA_INT:
		return *(const int32_t *)a == *(const int32_t *)b;
	case SCHEMA_ENUM:
		return *(const int *)a == *(const int *)b;
	case SCHEMA_KEY:
		return sodium_memcmp(a, b, KEY_LEN) == 0;
	case SCHEMA_ADDRESS:
		return netaddr_equal(a, b);
	case SCHEMA_ENDPOINT:
		return netendpoint_equal(a, b);
	case SCHEMA_MAC:
		return memcmp(a, b, 6) == 0;
	case SCHEMA_PORT_RANGE:
		return *(const uint16_t *)a == *(const uint16_t *)b &&
		       *(const uint16_t *)schema_member_const(base_a, f->aux) ==
			       *(const uint16_t *)schema_member_const(base_b, f->aux);
	case SCHEMA_STRING_LIST:
	case SCHEMA_CIDR_LIST:
	case SCHEMA_ENDPOINT_LIST:
	case SCHEMA_ENUM_LIST: {
		size_t count = *(const size_t *)schema_member_const(base_a, f->aux);

		if (count != *(const size_t *)schema_member_const(base_b, f->aux))
			return false;
		return lists_equal(f, *(const void *const *)a, *(const void *const *)b, count);
	}
	case SCHEMA_MAP:
		/* an absent optional map holds nothing to compare */
		if (f->flag != 0 && !*(const bool *)schema_member_const(base_a, f->flag - 1))
			return true;
		return schema_equal(f->map, a, b);
	case SCHEMA_MAP_LIST: {
		size_t count = *(const size_t *)schema_member_const(base_a, f->aux);
		const char *array_a = *(const char *const *)a, *array_b = *(const char *const *)b;

		if (count != *(const size_t *)schema_member_const(base_b, f->aux))
			return false;
		for (size_t j = 0; j < count; j++) {
			if (!schema_equal(f->map, array_a + j * f->map->size,
					  array_b + j * f->map->size))
				return false;
		}
		return true;
	}
	}
	return false;
}

bool
schema_equal(const struct schema_map *map, const void *a, const void *b)
{
	for (size_t i = 0; i < map->field_count; i++) {
		const struct schema_field *f = &map->fields[i];

		if (f->flags & SCHEMA_ALIAS)
			continue;
		/* an optional value that is not given may hold anything */
		if (f->flag != 0 && f->kind != SCHEMA_MAP &&
		    !*(const bool *)schema_member_const(a, f->flag - 1)) {
			if (*(const bool *)schema_member_const(b, f->flag - 1))
				return false;
			continue;
		}
		if (!field_equal(f, a, b))
			return false;
	}
	return true;
}

void
config_free(struct config *config)
{
	if (config == NULL)
		return;
	schema_free(&config_schema, config);
	free(config->source_path);
	sodium_memzero(config, sizeof(*config));
	free(config);
}

bool
config_equal(const struct config *a, const struct config *b)
{
	return schema_equal(&config_schema, a, b);
}

bool
config_section_equal(const struct config *a, const struct config *b, const char *section)
{
	for (size_t i = 0; i < config_schema.field_count; i++) {
		const struct schema_field *f = &config_schema.fields[i];

		if (strcmp(f->name, section) == 0)
			return field_equal(f, a, b);
	}
	return false;
}
