/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request grammar of exitgate's control socket (ctl.h): one line, "verb [--json]". Kept
 * apart from the answers, which need a running node, so that the fuzz target reaches it alone.
 */
#ifndef EXITGATE_CONTROL_CTL_REQUEST_H
#define EXITGATE_CONTROL_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

enum {
	CTL_REQUEST_MAX = 4096,
};

enum ctl_verb {
	CTL_STATUS,
	CTL_STATS,
	CTL_NEIGHBORS,
	CTL_RELOAD,
	CTL_METRICS,
};

struct ctl_request {
	enum ctl_verb verb;
	bool json;
};

/* Length of the first complete request (one line, its '\n' included), 0 when incomplete. */
size_t ctl_frame(const char *data, size_t len);
/* One request as ctl_frame delimits it. Returns 0, or -1 with the reason for the "ERR" reply
 * in why. */
int ctl_parse_request(const char *request, size_t len, struct ctl_request *req, char *why,
		      size_t why_size);

#endif
