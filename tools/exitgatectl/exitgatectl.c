/* SPDX-License-Identifier: BSD-3-Clause */
/* exitgatectl: a table of subcommands, as wg has. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "exitgatectl.h"
#include "log.h"

static const struct exitgatectl_command commands[] = {
	{ "genkey", "", "print a new private key (base64), as wg genkey", exitgatectl_genkey },
	{ "pubkey", "< private-key", "print the public key of a private key read from stdin",
	  exitgatectl_pubkey },
	{ "genpsk", "", "print a new preshared key (base64), as wg genpsk", exitgatectl_genpsk },
	{ "status", "[--json]", "node, ports and peers of a running exitgated", exitgatectl_status },
	{ "stats", "[--json]", "counters per worker (with drop reasons), port and peer",
	  exitgatectl_stats },
	{ "neighbors", "[--json]", "the ARP/ND table of the data plane", exitgatectl_neighbors },
	{ "metrics", "", "Prometheus text exposition (what control.metrics serves)",
	  exitgatectl_metrics },
	{ "reload", "", "re-read the config file (refused with its location if bad)",
	  exitgatectl_reload },
	{ "ping", "PEER [-c N]", "disco pings until a direct path answers, as tailscale ping",
	  exitgatectl_ping },
	{ "why", "PEER [--json]", "what keeps a peer on the relay, and what to open",
	  exitgatectl_why },
	{ "netcheck", "[--json]", "a fresh report of this node's network (UDP, NAT, DERP)",
	  exitgatectl_netcheck },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: exitgatectl <command> [arguments]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %-15s %s\n", commands[i].name, commands[i].arguments,
			commands[i].summary);
	fprintf(out, "\n  exitgatectl --help | --version\n"
		     "\nCommands that ask exitgated use its control socket: --socket PATH, or\n"
		     "EXITGATE_CONTROL_SOCKET, or /run/exitgate/control.sock.\n");
}

int
main(int argc, char **argv)
{
	log_set_program("exitgatectl");
	if (argc < 2) {
		usage(stderr);
		return EXITGATECTL_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXITGATECTL_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("exitgatectl %s\n", EXITGATE_VERSION);
		return EXITGATECTL_OK;
	}
	if (sodium_init() < 0) {
		log_error("sodium_init: failed");
		return EXITGATECTL_FAILED;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "exitgatectl: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return EXITGATECTL_USAGE;
}
