/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "ctl_request.h"

static const struct {
	const char *name;
	enum ctl_verb verb;
} verbs[] = {
	{"status", CTL_STATUS},
	{"stats", CTL_STATS},
	{"neighbors", CTL_NEIGHBORS},
	{"reload", CTL_RELOAD},
	{"metrics", CTL_METRICS},
};

size_t
ctl_frame(const char *data, size_t len)
{
	const char *nl = memchr(data, '\n', len);

	return nl == NULL ? 0 : (size_t)(nl - data) + 1;
}

int
ctl_parse_request(const char *request, size_t len, struct ctl_request *req, char *why,
		  size_t why_size)
{
	char line[CTL_REQUEST_MAX], *verb, *save = NULL, *opt;

	if (len == 0 || len > sizeof(line) || memchr(request, '\0', len) != NULL) {
		snprintf(why, why_size, "malformed request");
		return -1;
	}
	/* the line without its '\n' */
	memcpy(line, request, len - 1);
	line[len - 1] = '\0';
	req->json = false;
	verb = strtok_r(line, " \t\r", &save);
	while ((opt = strtok_r(NULL, " \t\r", &save)) != NULL) {
		if (strcmp(opt, "--json") != 0) {
			snprintf(why, why_size, "unknown option %.64s", opt);
			return -1;
		}
		req->json = true;
	}
	if (verb == NULL) {
		snprintf(why, why_size, "empty request");
		return -1;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verb, verbs[i].name) == 0) {
			req->verb = verbs[i].verb;
			return 0;
		}
	}
	snprintf(why, why_size, "unknown verb %.64s (status, stats, neighbors, metrics, reload)", verb);
	return -1;
}
