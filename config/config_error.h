/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config error lines: "file:line:column: key.path: message", always one line, and helpers to
 * quote user text inside messages. Internal to the config library.
 */
#ifndef EXITGATE_CONFIG_ERROR_H
#define EXITGATE_CONFIG_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum {
	CONFIG_PATH_MAX = 256,
	CONFIG_QUOTE_MAX = 96, /* a quoted value in a message, quotes and NUL included */
};

/*
 * Write the error line. line 0 leaves out the position (a file that could not be read has
 * none); an empty path leaves out the path. Control characters in the result become '?', so
 * the result is always exactly one line.
 */
void config_error_set(char *error, size_t size, const char *name, unsigned int line,
		      unsigned int column, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
void config_error_vset(char *error, size_t size, const char *name, unsigned int line,
		       unsigned int column, const char *path, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

/* Quote text for a message: "..." with '"', '\' and non-printable bytes escaped, cut to fit. */
const char *config_quote(char buf[CONFIG_QUOTE_MAX], const char *text, size_t length);

/* Path of a map member ("a.b") or a list item ("a[3]"), cut to CONFIG_PATH_MAX. */
void config_path_member(char buf[CONFIG_PATH_MAX], const char *path, const char *name);
void config_path_index(char buf[CONFIG_PATH_MAX], const char *path, size_t index);

/* The candidate nearest to word by edit distance, or NULL when none is near enough to be a
 * likely typo. */
const char *config_suggest(const char *word, const char *const *candidates, size_t count);

#endif
