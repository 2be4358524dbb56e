/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Subcommands that ask a running exitgated over its control socket (control/ctl.h): one request
 * line, a reply that starts with "OK" or "ERR <why>", then the body, which is printed as is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "exitgatectl.h"

static const char default_socket[] = "/run/exitgate/control.sock";

const char *
exitgatectl_default_socket(void)
{
	const char *path = getenv("EXITGATE_CONTROL_SOCKET");

	return path != NULL ? path : default_socket;
}

int
exitgatectl_ask(const char *socket_path, const char *request, char **body_out)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = 0, cap = 65536;
	char *reply = malloc(cap), *body;
	int fd, rc = EXITGATECTL_FAILED;
	ssize_t n;

	*body_out = NULL;
	if (reply == NULL)
		return EXITGATECTL_FAILED;
	if (strlen(socket_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "exitgatectl: socket path too long: %s\n", socket_path);
		free(reply);
		return EXITGATECTL_USAGE;
	}
	strcpy(sun.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "exitgatectl: cannot reach exitgated at %s: %s\n", socket_path,
			strerror(errno));
		goto out;
	}
	if (write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
		fprintf(stderr, "exitgatectl: write: %s\n", strerror(errno));
		goto out;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, reply + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *grown = realloc(reply, cap * 2);

			if (grown == NULL)
				goto out;
			reply = grown;
			cap *= 2;
		}
	}
	reply[len] = '\0';
	body = strchr(reply, '\n');
	body = body != NULL ? body + 1 : reply + len;
	if (strncmp(reply, "OK\n", 3) == 0) {
		*body_out = strdup(body);
		rc = *body_out != NULL ? EXITGATECTL_OK : EXITGATECTL_FAILED;
	} else if (strncmp(reply, "ERR ", 4) == 0) {
		fprintf(stderr, "exitgatectl: %.*s\n", (int)(body - reply - 5), reply + 4);
	} else {
		fprintf(stderr, "exitgatectl: no reply from exitgated at %s\n", socket_path);
	}
out:
	if (fd >= 0)
		close(fd);
	free(reply);
	return rc;
}

static int
ask(const char *socket_path, const char *request)
{
	char *body;
	int rc = exitgatectl_ask(socket_path, request, &body);

	if (rc == EXITGATECTL_OK)
		fputs(body, stdout);
	free(body);
	return rc;
}

/* [--json] [--socket PATH]; the socket may also come from EXITGATE_CONTROL_SOCKET. */
static int
verb(const char *name, bool json_allowed, int argc, char **argv)
{
	const char *socket_path = exitgatectl_default_socket();
	bool json = false;
	char request[128];

	for (int i = 1; i < argc; i++) {
		if (json_allowed && strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			socket_path = argv[++i];
		} else {
			fprintf(stderr, "usage: exitgatectl %s%s [--socket PATH]\n", name,
				json_allowed ? " [--json]" : "");
			return EXITGATECTL_USAGE;
		}
	}
	snprintf(request, sizeof(request), "%s%s\n", name, json ? " --json" : "");
	return ask(socket_path, request);
}

int
exitgatectl_status(int argc, char **argv)
{
	return verb("status", true, argc, argv);
}

int
exitgatectl_stats(int argc, char **argv)
{
	return verb("stats", true, argc, argv);
}

int
exitgatectl_neighbors(int argc, char **argv)
{
	return verb("neighbors", true, argc, argv);
}

int
exitgatectl_reload(int argc, char **argv)
{
	return verb("reload", false, argc, argv);
}

int
exitgatectl_metrics(int argc, char **argv)
{
	return verb("metrics", false, argc, argv);
}
