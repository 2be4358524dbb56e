/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exitgated: the exitgate appliance. This first version checks configurations only
 * (--check-config); running the node needs the data plane, which comes next.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

enum {
	EXIT_CONFIG_ERROR = 2, /* also bad usage */
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: exitgated --check-config FILE\n"
		"       exitgated --help | --version\n"
		"\n"
		"  --check-config FILE  validate FILE and print it normalised (every default\n"
		"                       filled in, secrets hidden); exit 0 when it is valid,\n"
		"                       2 with one line file:line:column: key: message when not\n"
		"  --help               this text\n"
		"  --version            the version\n");
}

static int
check_config(const char *path)
{
	char error[CONFIG_ERROR_MAX];
	struct config *config;

	config = config_load_file(path, error, sizeof(error));
	if (config == NULL) {
		fprintf(stderr, "%s\n", error);
		return EXIT_CONFIG_ERROR;
	}
	log_set_level((enum log_level)config->log_level);
	config_print(config, stdout, false);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("check-config: write: output failed");
		config_free(config);
		return 1;
	}
	log_info("%s: valid, %zu peer%s", path, config->peer_count,
		 config->peer_count == 1 ? "" : "s");
	config_free(config);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "check-config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *check_path = NULL;
	int opt;

	log_set_program("exitgated");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			check_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("exitgated %s\n", EXITGATE_VERSION);
			return 0;
		default:
			fprintf(stderr, "exitgated: unknown or incomplete option %s\n",
				argv[optind - 1]);
			usage(stderr);
			return EXIT_CONFIG_ERROR;
		}
	}
	if (check_path != NULL && optind == argc)
		return check_config(check_path);
	if (optind < argc)
		fprintf(stderr, "exitgated: unexpected argument %s\n", argv[optind]);
	else
		fprintf(stderr, "exitgated: running the appliance needs the data plane, which is "
				"not built yet; for now only --check-config works\n");
	usage(stderr);
	return EXIT_CONFIG_ERROR;
}
