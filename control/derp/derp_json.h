/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A strict reader for the flat JSON objects of the DERP login (ClientInfo, ServerInfo) and a
 * writer for the same. Written here rather than taken from a library because the objects are
 * flat with a handful of scalar members: a 200-line reader that refuses nesting, duplicates,
 * trailing bytes, bad escapes, invalid UTF-8 and out-of-range numbers, allocates nothing and is
 * fuzzed with the frame reader is a smaller attack surface than a general JSON library.
 * Member names match ASCII-case-insensitively, as the Go encoding/json decoder at the other end
 * of the protocol does ("CanAckPings" and "canAckPings" are the same member); unknown members
 * are skipped (newer peers add members) but must still be scalars.
 */
#ifndef EXITGATE_DERP_JSON_H
#define EXITGATE_DERP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum derp_json_type {
	DERP_JSON_INT,
	DERP_JSON_BOOL,
	DERP_JSON_STRING,
};

struct derp_json_member {
	const char *name;
	enum derp_json_type type;
	/* Output: int64_t *, bool *, or char * of string_size bytes (NUL-terminated). */
	void *out;
	size_t string_size;
	int64_t min, max; /* DERP_JSON_INT range */
	bool present;     /* set by the reader; a JSON null leaves it false */
};

/* Returns 0, or -1 with a static reason in *why. */
int derp_json_read_object(const char *text, size_t length, struct derp_json_member *members,
			  size_t count, const char **why);

/* Writer over a caller buffer; once it overflows every call is a no-op and _finish fails. */
struct derp_json_writer {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
	bool first;
};

void derp_json_begin(struct derp_json_writer *w, char *buf, size_t size);
void derp_json_int(struct derp_json_writer *w, const char *name, int64_t value);
void derp_json_bool(struct derp_json_writer *w, const char *name, bool value);
void derp_json_string(struct derp_json_writer *w, const char *name, const char *value);
/* Returns the length written (without NUL), or -1 on overflow. */
int derp_json_finish(struct derp_json_writer *w);

#endif
