/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path selection from the command line: ping (Tailscale's `tailscale ping`: disco pings, "pong
 * from NAME (IP) via DERP(code) in X ms" until one comes "via ip:port", at most N tries a second
 * apart, else "direct connection not established"), why and netcheck. exitgated answers ping in
 * JSON whatever was asked; this file prints the lines.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "exitgatectl.h"

static bool
valid_peer(const char *s)
{
	return s != NULL && s[0] != '\0' && s[0] != '-' && strlen(s) <= 127 &&
	       strpbrk(s, " \t\r\n") == NULL;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* One ping round; prints its line. 1 = a direct pong, 0 = a pong via DERP or a timeout,
 * -1 = exitgated refused (printed). */
static int
ping_once(const char *socket_path, const char *peer, unsigned int timeout_ms, bool *answered)
{
	char request[256], *body;
	json_t *j;
	json_error_t err;
	int rc, direct = 0;

	*answered = false;
	snprintf(request, sizeof(request), "ping %s --timeout %u\n", peer, timeout_ms);
	if (exitgatectl_ask(socket_path, request, &body) != EXITGATECTL_OK)
		return -1;
	j = json_loads(body, 0, &err);
	free(body);
	if (j == NULL) {
		fprintf(stderr, "exitgatectl: ping: bad reply from exitgated: %s\n", err.text);
		return -1;
	}
	if (json_is_true(json_object_get(j, "answered"))) {
		const char *name = json_string_value(json_object_get(j, "peer"));
		const char *addr = json_string_value(json_object_get(j, "address"));
		double ms = (double)json_integer_value(json_object_get(j, "latency_us")) / 1000.0;

		*answered = true;
		if (json_is_true(json_object_get(j, "direct"))) {
			printf("pong from %s (%s) via %s in %.0fms\n", name, addr,
			       json_string_value(json_object_get(j, "endpoint")), ms);
			direct = 1;
		} else {
			const char *code = json_string_value(json_object_get(j, "region_code"));

			printf("pong from %s (%s) via DERP(%s) in %.0fms\n", name, addr,
			       code != NULL && code[0] != '\0' ? code : "?", ms);
		}
	} else {
		const char *error = json_string_value(json_object_get(j, "error"));

		if (error != NULL && strcmp(error, "timed out") == 0)
			printf("ping \"%s\" timed out\n", peer);
		else
			printf("ping \"%s\": %s\n", peer, error != NULL ? error : "no answer");
	}
	rc = direct;
	json_decref(j);
	return rc;
}

int
exitgatectl_ping(int argc, char **argv)
{
	const char *socket_path = exitgatectl_default_socket(), *peer = NULL;
	unsigned int count = 10, timeout_ms = 5000;
	bool until_direct = true;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--c") == 0) && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end != '\0' || v > 100000)
				goto usage;
			count = (unsigned int)v; /* 0: no limit, as tailscale ping */
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end != '\0' || v == 0 || v > 60000)
				goto usage;
			timeout_ms = (unsigned int)v;
		} else if (strcmp(argv[i], "--until-direct=false") == 0) {
			until_direct = false;
		} else if (strcmp(argv[i], "--until-direct") == 0 ||
			   strcmp(argv[i], "--until-direct=true") == 0) {
			until_direct = true;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			socket_path = argv[++i];
		} else if (peer == NULL && valid_peer(argv[i])) {
			peer = argv[i];
		} else {
			goto usage;
		}
	}
	if (peer == NULL)
		goto usage;
	/* one line per pong as it comes, in order with the final verdict on stderr */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned int n = 0; count == 0 || n < count; n++) {
		bool answered;
		int r = ping_once(socket_path, peer, timeout_ms, &answered);

		if (r < 0)
			return EXITGATECTL_FAILED;
		if (r == 1 && until_direct)
			return EXITGATECTL_OK;
		if (count == 0 || n + 1 < count)
			sleep_ms(1000);
	}
	if (until_direct) {
		fprintf(stderr, "direct connection not established\n");
		return EXITGATECTL_FAILED;
	}
	return EXITGATECTL_OK;
usage:
	fprintf(stderr, "usage: exitgatectl ping PEER [-c N] [--timeout MS] "
			"[--until-direct[=true|false]] [--socket PATH]\n"
			"PEER: a peer's name, base64 public key or tunnel address\n");
	return EXITGATECTL_USAGE;
}

static int
one_shot(const char *verb, const char *peer, bool json, const char *extra,
	 const char *socket_path)
{
	char request[256], *body;
	int rc;

	snprintf(request, sizeof(request), "%s%s%s%s%s\n", verb, peer != NULL ? " " : "",
		 peer != NULL ? peer : "", json ? " --json" : "", extra);
	rc = exitgatectl_ask(socket_path, request, &body);
	if (rc == EXITGATECTL_OK)
		fputs(body, stdout);
	free(body);
	return rc;
}

int
exitgatectl_why(int argc, char **argv)
{
	const char *socket_path = exitgatectl_default_socket(), *peer = NULL;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (peer == NULL && valid_peer(argv[i]))
			peer = argv[i];
		else
			goto usage;
	}
	if (peer == NULL)
		goto usage;
	return one_shot("why", peer, json, "", socket_path);
usage:
	fprintf(stderr, "usage: exitgatectl why PEER [--json] [--socket PATH]\n");
	return EXITGATECTL_USAGE;
}

int
exitgatectl_netcheck(int argc, char **argv)
{
	const char *socket_path = exitgatectl_default_socket();
	bool json = false, cached = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--format=json") == 0)
			json = true;
		else if (strcmp(argv[i], "--last") == 0)
			cached = true;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else
			goto usage;
	}
	/* a fresh round unless the last report is what is wanted */
	return one_shot("netcheck", NULL, json, cached ? "" : " --run", socket_path);
usage:
	fprintf(stderr, "usage: exitgatectl netcheck [--json] [--last] [--socket PATH]\n");
	return EXITGATECTL_USAGE;
}
