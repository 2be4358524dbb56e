/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the config loader. Beyond "no crash, no leak": a failed load gives one
 * line naming the input, and a config that loads prints to YAML that loads again to an equal
 * config and prints the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *
print_config(const struct config *config)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		abort();
	config_print(config, out, true);
	if (fclose(out) != 0)
		abort();
	return text;
}

/* the printed text after its first line, which names the source */
static const char *
body(const char *text)
{
	const char *newline = strchr(text, '\n');

	return newline == NULL ? text : newline + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[CONFIG_ERROR_MAX];
	struct config *config, *again;
	char *printed, *reprinted;

	config = config_load_buffer("fuzz.yaml", (const char *)data, size, error, sizeof(error));
	if (config == NULL) {
		if (strncmp(error, "fuzz.yaml:", 10) != 0 || strchr(error, '\n') != NULL) {
			fprintf(stderr, "malformed error line: %s\n", error);
			abort();
		}
		return 0;
	}
	printed = print_config(config);
	again = config_load_buffer("printed.yaml", printed, strlen(printed), error, sizeof(error));
	if (again == NULL) {
		fprintf(stderr, "printed config does not load: %s\n%s", error, printed);
		abort();
	}
	if (!config_equal(config, again)) {
		fprintf(stderr, "printed config loads different:\n%s", printed);
		abort();
	}
	reprinted = print_config(again);
	if (strcmp(body(printed), body(reprinted)) != 0) {
		fprintf(stderr, "printing is not stable:\n%s---\n%s", printed, reprinted);
		abort();
	}
	free(reprinted);
	free(printed);
	config_free(again);
	config_free(config);
	return 0;
}
