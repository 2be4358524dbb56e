/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading tailcfg JSON with jansson: members by Go's name rules, typed values with the reason
 * of a refusal, limits counted. Internal to tailnet_json.c and tailnet_filter.c.
 */
#ifndef EXITGATE_TAILNET_JSON_UTIL_H
#define EXITGATE_TAILNET_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tailnet_json.h"

struct jctx {
	char *why;
	struct tailnet_parse_counters *counters;
	size_t filter_rules;   /* in this message so far */
	size_t filter_entries;
};

/* The member name of obj (exact, else case-insensitive); NULL when absent or null. */
json_t *jmember(json_t *obj, const char *name);
/* Set why; always -1. */
int jfail(struct jctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v must be an object / array (or NULL = absent, returns 0 without touching *present). */
int jstring(struct jctx *c, json_t *v, const char *what, const char **out);
/* Copy a label text, truncated to size - 1 (counted). v NULL leaves dst as is. */
int jtext(struct jctx *c, json_t *v, const char *what, char *dst, size_t size);
int jint(struct jctx *c, json_t *v, const char *what, int64_t min, int64_t max, int64_t *out);
int jbool(struct jctx *c, json_t *v, const char *what, bool *out);
int jprefix(struct jctx *c, json_t *v, const char *what, struct netprefix *out);
/* Is v a list? (NULL counts as absent: 0 with *count 0.) */
int jlist(struct jctx *c, json_t *v, const char *what, size_t max, size_t *count);
int jobject(struct jctx *c, json_t *v, const char *what);

#endif
