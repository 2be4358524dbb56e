/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exitgated: the exitgate appliance. Loads the YAML config (refusing a bad one with its location
 * and exit status 2 before anything starts), initialises DPDK's EAL from it, and runs the node:
 * workers on their lcores, the control plane on this, the main lcore.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>

#include "config.h"
#include "eal.h"
#include "log.h"
#include "node.h"

enum {
	EXIT_CONFIG_ERROR = 2, /* also bad usage */
};

static const char default_config[] = "/etc/exitgate/exitgate.yaml";

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: exitgated [--config FILE]\n"
		"       exitgated --check-config FILE\n"
		"       exitgated --help | --version\n"
		"\n"
		"  --config FILE        run the node from FILE (default %s);\n"
		"                       SIGHUP or `exitgatectl reload` re-reads it\n"
		"  --check-config FILE  validate FILE and print it normalised (every default\n"
		"                       filled in, secrets hidden); exit 0 when it is valid,\n"
		"                       2 with one line file:line:column: key: message when not\n"
		"  --help               this text\n"
		"  --version            the version\n",
		default_config);
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

static int
run(const char *path, const char *program)
{
	char error[CONFIG_ERROR_MAX];
	struct eal_args eal;
	struct config *config;
	sigset_t signals;
	int rc;

	config = config_load_file(path, error, sizeof(error));
	if (config == NULL) {
		fprintf(stderr, "%s\n", error);
		return EXIT_CONFIG_ERROR;
	}
	log_set_level((enum log_level)config->log_level);
	/* Signals go to the control loop's signalfd: block them before EAL starts its threads,
	 * which inherit the mask, so none of them takes a SIGTERM meant for the loop. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	if (eal_init_from_config(config, program, &eal) != 0) {
		config_free(config);
		return 1;
	}
	rc = node_run(path, config, program);
	rte_eal_cleanup();
	eal_args_free(&eal);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check-config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *check_path = NULL, *config_path = default_config;
	int opt;

	log_set_program("exitgated");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			config_path = optarg;
			break;
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
	if (optind < argc) {
		fprintf(stderr, "exitgated: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG_ERROR;
	}
	if (check_path != NULL)
		return check_config(check_path);
	return run(config_path, argv[0]);
}
