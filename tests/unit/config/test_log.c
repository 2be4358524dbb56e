/* SPDX-License-Identifier: BSD-3-Clause */
/* Log line format and level filtering, read back from a file standing in for stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Run the logging calls with stderr pointed at a temporary file and return what was written. */
static char *
capture_begin(int *saved)
{
	char *path = strdup("/tmp/exitgate-test-log-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	assert_true(*saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	return path;
}

static void
capture_end(int saved, char *path, char *out, size_t size)
{
	FILE *f;
	size_t n;

	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(path);
	free(path);
}

static void
test_format_and_levels(void **state)
{
	char out[512];
	char *path;
	int saved;

	(void)state;
	log_set_program("exitgate-test");
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(log_get_level(), LOG_LEVEL_WARN);
	path = capture_begin(&saved);
	log_error("open: %s: %s", "/etc/x", "No such file");
	log_warn("drop: %d", 42);
	log_info("not shown");
	log_debug("not shown either");
	log_warn("already ends in a newline\n");
	capture_end(saved, path, out, sizeof(out));
	assert_string_equal(out, "exitgate-test: error: open: /etc/x: No such file\n"
				 "exitgate-test: warn: drop: 42\n"
				 "exitgate-test: warn: already ends in a newline\n");

	log_set_level(LOG_LEVEL_DEBUG);
	path = capture_begin(&saved);
	log_debug("detail");
	capture_end(saved, path, out, sizeof(out));
	assert_string_equal(out, "exitgate-test: debug: detail\n");
	log_set_level(LOG_LEVEL_INFO);
}

static void
test_long_line_is_cut(void **state)
{
	char big[3000];
	char out[4096];
	char *path;
	int saved;
	size_t len;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_set_program("t");
	path = capture_begin(&saved);
	log_error("%s", big);
	capture_end(saved, path, out, sizeof(out));
	len = strlen(out);
	assert_true(len < 1024);
	assert_int_equal(out[len - 1], '\n');
	assert_memory_equal(out, "t: error: xxx", 13);
}

static void
test_level_parse(void **state)
{
	static const struct {
		const char *text;
		enum log_level level;
	} cases[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warn", LOG_LEVEL_WARN },
		{ "info", LOG_LEVEL_INFO },
		{ "debug", LOG_LEVEL_DEBUG },
	};
	enum log_level level;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(log_level_parse(cases[i].text, &level), 0);
		assert_int_equal(level, cases[i].level);
	}
	assert_int_equal(log_level_parse("warning", &level), -1);
	assert_int_equal(log_level_parse("INFO", &level), -1);
	assert_int_equal(log_level_parse("", &level), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_levels),
		cmocka_unit_test(test_long_line_is_cut),
		cmocka_unit_test(test_level_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
