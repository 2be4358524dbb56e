/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log lines go to stderr as "program: level: message"; under systemd the journal adds the time
 * and the unit. Each line is formatted first and written with one call, so that lines from the
 * control thread and from setup code do not interleave mid-line.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

enum {
	LOG_PROGRAM_MAX = 32,
	LOG_LINE_MAX = 1024,
};

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static _Atomic int current_level = LOG_LEVEL_INFO;
static char program[LOG_PROGRAM_MAX] = "exitgate";

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&current_level, memory_order_relaxed);
}

void
log_set_program(const char *name)
{
	snprintf(program, sizeof(program), "%s", name);
}

int
log_level_parse(const char *text, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static bool
log_time_wanted(void)
{
	static int wanted = -1;

	if (wanted < 0) {
		const char *v = getenv("EXITGATE_LOG_TIME");

		wanted = v != NULL && strcmp(v, "1") == 0;
	}
	return wanted == 1;
}

void
log_message(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int prefix, n;
	size_t len;

	if ((int)level > atomic_load_explicit(&current_level, memory_order_relaxed))
		return;
	prefix = 0;
	/* labs read the order of events across processes: EXITGATE_LOG_TIME=1 prefixes the
	 * monotonic time (the journal adds its own time, so the default is none) */
	if (log_time_wanted()) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		prefix = snprintf(line, sizeof(line), "%lld.%03ld ", (long long)ts.tv_sec,
				  ts.tv_nsec / 1000000);
	}
	prefix += snprintf(line + prefix, sizeof(line) - (size_t)prefix, "%s: %s: ", program,
			   level_names[level]);
	va_start(ap, fmt);
	n = vsnprintf(line + prefix, sizeof(line) - (size_t)prefix, fmt, ap);
	va_end(ap);
	len = (size_t)prefix + (n < 0 ? 0 : (size_t)n);
	/* A message longer than the buffer is cut; keep room for the newline. */
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	if (len == 0 || line[len - 1] != '\n')
		line[len++] = '\n';
	line[len] = '\0';
	fputs(line, stderr);
}
