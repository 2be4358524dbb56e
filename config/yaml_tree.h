/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A YAML document as a small tree of nodes with their source positions, built from libyaml's
 * events. Only what an appliance config needs survives: one document, plain maps, lists and
 * scalars. Anchors, aliases and tags are refused while parsing (aliases are how a small file
 * expands into billions of nodes), and so is nesting deeper than YTREE_DEPTH_MAX.
 * Internal to the config library.
 */
#ifndef EXITGATE_YAML_TREE_H
#define EXITGATE_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

enum {
	YTREE_DEPTH_MAX = 32,
};

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
};

struct ynode;

struct ynode_pair {
	struct ynode *key;
	struct ynode *value;
};

struct ynode {
	enum ynode_kind kind;
	unsigned int line;   /* 1-based */
	unsigned int column; /* 1-based, in characters */
	/* YNODE_SCALAR */
	char *value;         /* NUL-terminated; length counts an embedded NUL if there is one */
	size_t length;
	bool plain;          /* written without quotes: only plain scalars can mean null */
	/* YNODE_SEQUENCE */
	struct ynode **items;
	size_t item_count;
	/* YNODE_MAPPING, in document order (duplicates are left for the schema walker) */
	struct ynode_pair *pairs;
	size_t pair_count;
};

/*
 * Parse text into a tree. The root is a node of any kind, or NULL with no error when the text
 * holds no document at all (empty, or only comments). Returns 0, or -1 with one error line
 * "name:line:column: path: message" in error.
 */
int ytree_parse(const char *name, const char *text, size_t length, struct ynode **root,
		char *error, size_t error_size);
void ytree_free(struct ynode *node);

/* true for a plain "", "~", "null", "Null" or "NULL" */
bool ynode_is_null(const struct ynode *node);
/* "map", "list" or "scalar" */
const char *ynode_kind_name(const struct ynode *node);

#endif
