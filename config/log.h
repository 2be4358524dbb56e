/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging for every exitgate program. One grammar: log_warn("what: call: %s", why).
 * Never logs key material: callers print public keys only, never private or preshared keys.
 * Not for the per-packet path (it formats and writes): workers count, they do not log.
 */
#ifndef EXITGATE_LOG_H
#define EXITGATE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefix every line with the program name; default "exitgate". */
void log_set_program(const char *name);
/* Parse "error"/"warn"/"info"/"debug"; returns -1 when unknown. */
int log_level_parse(const char *text, enum log_level *out);

void log_message(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_message(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
