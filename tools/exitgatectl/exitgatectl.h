/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exitgatectl subcommands. Each takes the arguments after its name (argv[0] is the name) and
 * returns the exit status: 0 done, 1 failed (with a message on stderr), 2 bad usage.
 * Subcommands that talk to a running exitgated (status, stats, ping...) join the table in
 * exitgatectl.c with a file of their own.
 */
#ifndef EXITGATE_EXITGATECTL_H
#define EXITGATE_EXITGATECTL_H

enum {
	EXITGATECTL_OK = 0,
	EXITGATECTL_FAILED = 1,
	EXITGATECTL_USAGE = 2,
};

struct exitgatectl_command {
	const char *name;
	const char *arguments; /* for the usage line; "" when none */
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* keys.c: key generation and derivation, input and output as `wg` has them */
int exitgatectl_genkey(int argc, char **argv);
int exitgatectl_genpsk(int argc, char **argv);
int exitgatectl_pubkey(int argc, char **argv);

/* control.c: questions to a running exitgated over its control socket */
int exitgatectl_status(int argc, char **argv);
int exitgatectl_stats(int argc, char **argv);
int exitgatectl_neighbors(int argc, char **argv);
int exitgatectl_reload(int argc, char **argv);
int exitgatectl_metrics(int argc, char **argv);
/* One request; on OK the body (malloc'd) in *body, else the error printed. */
int exitgatectl_ask(const char *socket_path, const char *request, char **body);
/* --socket's default: EXITGATE_CONTROL_SOCKET, or /run/exitgate/control.sock */
const char *exitgatectl_default_socket(void);

/* path.c: path selection (ping, why, netcheck) */
int exitgatectl_ping(int argc, char **argv);
int exitgatectl_why(int argc, char **argv);
int exitgatectl_netcheck(int argc, char **argv);

#endif
