/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exitgate's control socket requests under libFuzzer: an input is what a client writes, cut into
 * requests with ctl_frame as the socket server does; each request, in a buffer of exactly its
 * size, goes through ctl_parse_request. Checked: a request is one line ending at its first
 * '\n'; a refusal says why, in one line that fits the "ERR" reply; an accepted request written
 * back in its canonical form ("verb[ --json]\n") parses to the same verb and option.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const verb_names[] = {
	[CTL_STATUS] = "status",
	[CTL_STATS] = "stats",
	[CTL_NEIGHBORS] = "neighbors",
	[CTL_RELOAD] = "reload",
	[CTL_METRICS] = "metrics",
};

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static void
one_request(const char *request, size_t len)
{
	struct ctl_request req, again;
	char why[128], canonical[64];
	int n;

	memset(why, 0, sizeof(why));
	if (ctl_parse_request(request, len, &req, why, sizeof(why)) != 0) {
		size_t why_len = strnlen(why, sizeof(why));

		check(why_len > 0 && why_len < sizeof(why));
		check(memchr(why, '\n', why_len) == NULL);
		return;
	}
	check(req.verb < sizeof(verb_names) / sizeof(verb_names[0]));
	n = snprintf(canonical, sizeof(canonical), "%s%s\n", verb_names[req.verb],
		     req.json ? " --json" : "");
	check(n > 0 && (size_t)n < sizeof(canonical));
	check(ctl_frame(canonical, (size_t)n) == (size_t)n);
	check(ctl_parse_request(canonical, (size_t)n, &again, why, sizeof(why)) == 0);
	check(again.verb == req.verb && again.json == req.json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size, n;

	while ((n = ctl_frame(p, left)) > 0) {
		char *request;

		check(n <= left && p[n - 1] == '\n' && memchr(p, '\n', n - 1) == NULL);
		request = malloc(n);
		check(request != NULL);
		memcpy(request, p, n);
		one_request(request, n);
		free(request);
		p += n;
		left -= n;
	}
	return 0;
}
