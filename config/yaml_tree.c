/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libyaml event stream -> node tree. The builder keeps a stack of open maps and lists; each new
 * node is attached to the top of the stack. Errors name the key path of the position where they
 * happened, computed from that stack.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <yaml.h>

#include "config_error.h"
#include "yaml_tree.h"

struct builder {
	const char *name;
	const char *text;
	size_t length;
	struct ynode *root;
	struct ynode *stack[YTREE_DEPTH_MAX];
	size_t depth;
	size_t documents;
	char *error;
	size_t error_size;
};

void
ytree_free(struct ynode *node)
{
	if (node == NULL)
		return;
	/* scalars may be keys */
	if (node->value != NULL)
		sodium_memzero(node->value, node->length);
	free(node->value);
	for (size_t i = 0; i < node->item_count; i++)
		ytree_free(node->items[i]);
	free(node->items);
	for (size_t i = 0; i < node->pair_count; i++) {
		ytree_free(node->pairs[i].key);
		ytree_free(node->pairs[i].value);
	}
	free(node->pairs);
	free(node);
}

bool
ynode_is_null(const struct ynode *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (node->kind != YNODE_SCALAR || !node->plain)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		if (strcmp(node->value, nulls[i]) == 0)
			return true;
	}
	return false;
}

const char *
ynode_kind_name(const struct ynode *node)
{
	switch (node->kind) {
	case YNODE_SCALAR:
		return "scalar";
	case YNODE_SEQUENCE:
		return "list";
	case YNODE_MAPPING:
		return "map";
	}
	return "node";
}

/* The key path of the place where the next node would go. */
static void
builder_path(const struct builder *b, char path[CONFIG_PATH_MAX])
{
	char next[CONFIG_PATH_MAX];

	path[0] = '\0';
	for (size_t i = 0; i < b->depth; i++) {
		const struct ynode *open = b->stack[i];
		bool innermost = i + 1 == b->depth;

		if (open->kind == YNODE_SEQUENCE) {
			/* inside an item that is itself open, or before the next item */
			size_t index = innermost ? open->item_count : open->item_count - 1;

			config_path_index(next, path, index);
		} else {
			const struct ynode_pair *last;

			if (open->pair_count == 0)
				break;
			last = &open->pairs[open->pair_count - 1];
			/* at a key position the path is the map's own */
			if (innermost && last->value != NULL)
				break;
			if (last->key->kind != YNODE_SCALAR)
				config_path_member(next, path, "?");
			else
				config_path_member(next, path, last->key->value);
		}
		memcpy(path, next, CONFIG_PATH_MAX);
	}
}

__attribute__((format(printf, 4, 5))) static void
builder_error(struct builder *b, unsigned int line, unsigned int column, const char *fmt, ...)
{
	char path[CONFIG_PATH_MAX];
	va_list ap;

	builder_path(b, path);
	va_start(ap, fmt);
	config_error_vset(b->error, b->error_size, b->name, line, column, path, fmt, ap);
	va_end(ap);
}

static int
grow(void **array, size_t count, size_t element)
{
	void *bigger;
	size_t capacity;

	/* The capacity is a power of two, at least 4: the array is full at 4, 8, 16... */
	if (count != 0 && (count < 4 || (count & (count - 1)) != 0))
		return 0;
	capacity = count == 0 ? 4 : count * 2;
	bigger = realloc(*array, capacity * element);
	if (bigger == NULL)
		return -1;
	*array = bigger;
	return 0;
}

/* Attach node to the innermost open map or list (or make it the root). */
static int
builder_attach(struct builder *b, struct ynode *node)
{
	struct ynode *parent;

	if (b->depth == 0) {
		b->root = node;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->kind == YNODE_SEQUENCE) {
		if (grow((void **)&parent->items, parent->item_count, sizeof(*parent->items)) < 0)
			return -1;
		parent->items[parent->item_count++] = node;
		return 0;
	}
	if (parent->pair_count > 0 && parent->pairs[parent->pair_count - 1].value == NULL) {
		parent->pairs[parent->pair_count - 1].value = node;
		return 0;
	}
	if (grow((void **)&parent->pairs, parent->pair_count, sizeof(*parent->pairs)) < 0)
		return -1;
	parent->pairs[parent->pair_count].key = node;
	parent->pairs[parent->pair_count].value = NULL;
	parent->pair_count++;
	return 0;
}

static struct ynode *
node_new(enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *node = calloc(1, sizeof(*node));

	if (node == NULL)
		return NULL;
	node->kind = kind;
	node->line = (unsigned int)mark->line + 1;
	node->column = (unsigned int)mark->column + 1;
	return node;
}

static int
builder_scalar(struct builder *b, const yaml_event_t *event)
{
	struct ynode *node = node_new(YNODE_SCALAR, &event->start_mark);

	if (node == NULL)
		return -1;
	node->length = event->data.scalar.length;
	node->value = malloc(node->length + 1);
	if (node->value == NULL) {
		free(node);
		return -1;
	}
	memcpy(node->value, event->data.scalar.value, node->length);
	node->value[node->length] = '\0';
	node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (builder_attach(b, node) < 0) {
		ytree_free(node);
		return -1;
	}
	return 0;
}

/* Open a map or a list. Returns 0, -1 when out of memory, -2 when nested too deep. */
static int
builder_open(struct builder *b, enum ynode_kind kind, const yaml_event_t *event)
{
	struct ynode *node;

	if (b->depth == YTREE_DEPTH_MAX)
		return -2;
	node = node_new(kind, &event->start_mark);
	if (node == NULL)
		return -1;
	if (builder_attach(b, node) < 0) {
		ytree_free(node);
		return -1;
	}
	b->stack[b->depth++] = node;
	return 0;
}

/* libyaml's reader reports a byte offset where the scanner and parser report a mark. */
static void
offset_position(const struct builder *b, size_t offset, unsigned int *line, unsigned int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < b->length; i++) {
		if (b->text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)b->text[i] & 0xc0) != 0x80) {
			(*column)++;
		}
	}
}

static void
builder_syntax_error(struct builder *b, const yaml_parser_t *parser)
{
	char detail[256];
	unsigned int line, column;

	if (parser->error == YAML_MEMORY_ERROR) {
		builder_error(b, 1, 1, "out of memory");
		return;
	}
	if (parser->error == YAML_READER_ERROR) {
		offset_position(b, parser->problem_offset, &line, &column);
		if (parser->problem_value != -1)
			snprintf(detail, sizeof(detail), "%s (byte 0x%02x)", parser->problem,
				 (unsigned int)parser->problem_value & 0xff);
		else
			snprintf(detail, sizeof(detail), "%s", parser->problem);
		builder_error(b, line, column, "syntax error: %s", detail);
		return;
	}
	line = (unsigned int)parser->problem_mark.line + 1;
	column = (unsigned int)parser->problem_mark.column + 1;
	if (parser->problem_mark.index < b->length && b->text[parser->problem_mark.index] == '\t') {
		builder_error(b, line, column, "tab character (YAML indents with spaces only)");
		return;
	}
	if (parser->context != NULL)
		snprintf(detail, sizeof(detail), "%s (%s at line %zu column %zu)",
			 parser->problem == NULL ? "" : parser->problem, parser->context,
			 parser->context_mark.line + 1, parser->context_mark.column + 1);
	else
		snprintf(detail, sizeof(detail), "%s",
			 parser->problem == NULL ? "" : parser->problem);
	builder_error(b, line, column, "syntax error: %s", detail);
}

static const char *
event_anchor(const yaml_event_t *event)
{
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)event->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)event->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)event->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

static const char *
event_tag(const yaml_event_t *event)
{
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		/* libyaml reports no tag for untagged scalars, and "!" for a lone '!' */
		return (const char *)event->data.scalar.tag;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)event->data.sequence_start.tag;
	case YAML_MAPPING_START_EVENT:
		return (const char *)event->data.mapping_start.tag;
	default:
		return NULL;
	}
}

/* Handle one event. Returns 1 at the end of the stream, 0 to go on, -1 after an error. */
static int
builder_event(struct builder *b, const yaml_event_t *event)
{
	unsigned int line = (unsigned int)event->start_mark.line + 1;
	unsigned int column = (unsigned int)event->start_mark.column + 1;
	int rc = 0;

	if (event->type == YAML_ALIAS_EVENT || event_anchor(event) != NULL) {
		builder_error(b, line, column,
			      "anchors and aliases are not allowed (a few aliases can expand "
			      "into billions of nodes: the \"billion laughs\" bomb)");
		return -1;
	}
	if (event_tag(event) != NULL) {
		builder_error(b, line, column, "YAML tags (!...) are not allowed");
		return -1;
	}
	switch (event->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++ > 0) {
			builder_error(b, line, column,
				      "more than one YAML document (one config per file)");
			return -1;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		rc = builder_scalar(b, event);
		break;
	case YAML_SEQUENCE_START_EVENT:
		rc = builder_open(b, YNODE_SEQUENCE, event);
		break;
	case YAML_MAPPING_START_EVENT:
		rc = builder_open(b, YNODE_MAPPING, event);
		break;
	case YAML_SEQUENCE_END_EVENT:
		b->depth--;
		return 0;
	case YAML_MAPPING_END_EVENT: {
		const struct ynode *map = b->stack[b->depth - 1];

		/* libyaml gives every key a value (an empty scalar at least); walkers rely on it */
		if (map->pair_count > 0 && map->pairs[map->pair_count - 1].value == NULL) {
			builder_error(b, line, column, "map key without a value");
			return -1;
		}
		b->depth--;
		return 0;
	}
	default:
		return 0;
	}
	if (rc == -2) {
		builder_error(b, line, column, "nesting deeper than %d levels", YTREE_DEPTH_MAX);
		return -1;
	}
	if (rc < 0) {
		builder_error(b, line, column, "out of memory");
		return -1;
	}
	return 0;
}

/* libyaml keeps the input it decoded in two buffers that it frees without wiping. */
static void
parser_wipe(yaml_parser_t *parser)
{
	if (parser->raw_buffer.start != NULL)
		sodium_memzero(parser->raw_buffer.start,
			       (size_t)(parser->raw_buffer.end - parser->raw_buffer.start));
	if (parser->buffer.start != NULL)
		sodium_memzero(parser->buffer.start,
			       (size_t)(parser->buffer.end - parser->buffer.start));
}

int
ytree_parse(const char *name, const char *text, size_t length, struct ynode **root,
	    char *error, size_t error_size)
{
	struct builder b = {
		.name = name,
		.text = text,
		.length = length,
		.error = error,
		.error_size = error_size,
	};
	yaml_parser_t parser;
	int rc = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&parser)) {
		config_error_set(error, error_size, name, 1, 1, "", "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
	while (rc == 0) {
		yaml_event_t event;

		if (!yaml_parser_parse(&parser, &event)) {
			builder_syntax_error(&b, &parser);
			rc = -1;
			break;
		}
		rc = builder_event(&b, &event);
		/* scalars may be keys: wipe libyaml's copies as well as ours */
		if (event.type == YAML_SCALAR_EVENT)
			sodium_memzero(event.data.scalar.value, event.data.scalar.length);
		yaml_event_delete(&event);
	}
	parser_wipe(&parser);
	yaml_parser_delete(&parser);
	if (rc < 0) {
		ytree_free(b.root);
		return -1;
	}
	*root = b.root;
	return 0;
}
