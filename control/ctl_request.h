/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request grammar of exitgate's control socket (ctl.h): one line, "verb [--json]". Kept
 * apart from the answers, which need a running node, so that the fuzz target reaches it alone.
 */
#ifndef EXITGATE_CONTROL_CTL_REQUEST_H
#define EXITGATE_CONTROL_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CTL_REQUEST_MAX = 4096,
	CTL_TARGET_MAX = 127,           /* a peer's name, base64 key or address */
	CTL_PING_TIMEOUT_DEFAULT_MS = 5000,
	CTL_PING_TIMEOUT_MAX_MS = 60000,
};

enum ctl_verb {
	CTL_STATUS,
	CTL_STATS,
	CTL_NEIGHBORS,
	CTL_RELOAD,
	CTL_METRICS,  /* Prometheus text exposition */
	CTL_PING,     /* ping PEER [--timeout MS]: one disco ping round */
	CTL_WHY,      /* why PEER: what keeps it off a direct path */
	CTL_NETCHECK, /* netcheck [--run]: the last report, or a fresh one */
	CTL_VERBS
};

/*
 * One line: "verb [PEER] [--json] [--timeout MS] [--run]". ping and why take a PEER and only
 * they do; --timeout only for ping (1..60000 ms), --run only for netcheck.
 */
struct ctl_request {
	enum ctl_verb verb;
	bool json;
	bool run;
	uint32_t timeout_ms;
	char target[CTL_TARGET_MAX + 1]; /* "" when the verb takes none */
};

/* The verb's name as requests spell it. */
const char *ctl_verb_name(enum ctl_verb verb);

/* Length of the first complete request (one line, its '\n' included), 0 when incomplete. */
size_t ctl_frame(const char *data, size_t len);
/* One request as ctl_frame delimits it. Returns 0, or -1 with the reason for the "ERR" reply
 * in why. */
int ctl_parse_request(const char *request, size_t len, struct ctl_request *req, char *why,
		      size_t why_size);

#endif
