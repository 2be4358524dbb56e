/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config schema as tables: one row per key, in schema.md's order, saying where the value
 * lives in the structs of config.h, its type, range and default. The loader, the printer, the
 * comparison and config_free all walk these tables, so a key is described exactly once.
 * Internal to the config library.
 */
#ifndef EXITGATE_CONFIG_SCHEMA_H
#define EXITGATE_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "yaml_tree.h"

enum schema_kind {
	SCHEMA_STRING,        /* char * */
	SCHEMA_IFNAME,        /* char[CONFIG_INTERFACE_NAME_MAX + 1] */
	SCHEMA_BOOL,          /* bool */
	SCHEMA_UINT,          /* uint16_t or uint32_t (width) */
	SCHEMA_INT,           /* int32_t */
	SCHEMA_ENUM,          /* an enum of config.h (int-sized) */
	SCHEMA_KEY,           /* uint8_t[KEY_LEN], base64 inline */
	SCHEMA_KEY_FILE,      /* char * path; the key it holds goes to aux */
	SCHEMA_ADDRESS,       /* struct netaddr, family 0 = none */
	SCHEMA_ENDPOINT,      /* struct netendpoint */
	SCHEMA_MAC,           /* uint8_t[6] */
	SCHEMA_PORT_RANGE,    /* uint16_t low at offset, high at aux */
	SCHEMA_STRING_LIST,   /* char ** at offset, size_t count at aux */
	SCHEMA_CIDR_LIST,     /* struct netprefix * at offset, size_t count at aux */
	SCHEMA_ENDPOINT_LIST, /* struct netendpoint * at offset, size_t count at aux */
	SCHEMA_ENUM_LIST,     /* int-sized enum * at offset, size_t count at aux */
	SCHEMA_MAP,           /* a nested map whose struct starts at offset */
	SCHEMA_MAP_LIST,      /* an array of map structs at offset, size_t count at aux */
};

enum schema_flag {
	SCHEMA_REQUIRED = 1 << 0,
	SCHEMA_NULLABLE = 1 << 1,  /* optional without a default: null or absent = none */
	SCHEMA_POW2 = 1 << 2,      /* numbers: a power of two */
	SCHEMA_ALIAS = 1 << 3,     /* another spelling of the field before it; never printed */
	SCHEMA_SECRET = 1 << 4,    /* printed as (hidden) unless secrets are shown */
	SCHEMA_CANONICAL = 1 << 5, /* prefixes: no host bits beyond the length */
	SCHEMA_SCALAR_OK = 1 << 6, /* lists: one scalar is a list of one */
	SCHEMA_NONEMPTY = 1 << 7,  /* strings: "" refused; lists: [] refused */
	SCHEMA_UNIQUE = 1 << 8,    /* enum lists: no value twice */
};

struct schema_choices {
	const char *const *names; /* names[i] is enum value i */
	size_t count;
};

struct schema_map;
struct config_loader;

/* An extra rule for a string. It may rewrite text in place to its normal form (not longer).
 * Returns 0, or -1 with the reason in why. */
typedef int schema_string_check(char *text, char *why, size_t why_size);

struct schema_field {
	const char *name;
	enum schema_kind kind;
	unsigned int flags;
	size_t offset;
	size_t aux;  /* see enum schema_kind */
	size_t flag; /* offset + 1 of a bool set when the value is given; 0 = none */
	uint8_t width;
	int64_t min, max;
	int64_t def, def_high; /* defaults of numbers, bools, enums; port ranges use both */
	const char *def_text;  /* default of strings; NULL = none */
	unsigned int group;    /* members of one group (non-zero) exclude each other */
	const struct schema_choices *choices;
	const struct schema_map *map;
	schema_string_check *check;
	int family;            /* addresses: AF_INET or AF_INET6 */
};

/* Checks that need the whole map (or the whole config), and defaults computed from other
 * values. index is the map's place in its list. Returns 0 or -1 after config_loader_error. */
typedef int schema_finish(struct config_loader *loader, const struct ynode *node, const char *path,
			  void *base, size_t index);

struct schema_map {
	const struct schema_field *fields;
	size_t field_count;
	size_t size; /* of the struct, for lists of maps */
	schema_finish *finish;
};

extern const struct schema_map config_schema;

/* What a load carries while it walks the tree. */
struct config_loader {
	const char *name;     /* the file name in error lines */
	const char *base_dir; /* relative key file paths start here; NULL = the working dir */
	const struct ynode *root;
	char *error;
	size_t error_size;
};

/* Write the error line at node (the whole file when node is NULL); always returns -1. */
int config_loader_error(struct config_loader *loader, const struct ynode *node, const char *path,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Walk a YAML map into base by the table, after setting the table's defaults. */
int schema_load_map(struct config_loader *loader, const struct schema_map *map,
		    const struct ynode *node, const char *path, void *base, size_t index);
/* Set every default of the table (allocating default strings); -1 when out of memory. */
int schema_set_defaults(const struct schema_map *map, void *base);
/* Free everything the table's fields own inside base (base itself stays). */
void schema_free(const struct schema_map *map, void *base);
bool schema_equal(const struct schema_map *map, const void *a, const void *b);

/* Finish hooks (config_check.c). */
schema_finish config_node_finish;
schema_finish config_region_finish;
schema_finish config_peer_finish;
schema_finish config_tailnet_finish;
schema_finish config_root_finish;

/* The value node of key in a map node, or NULL. */
const struct ynode *ynode_member(const struct ynode *map, const char *key);

static inline void *
schema_member(void *base, size_t offset)
{
	return (char *)base + offset;
}

static inline const void *
schema_member_const(const void *base, size_t offset)
{
	return (const char *)base + offset;
}

#endif
