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
	{"ping", CTL_PING},
	{"why", CTL_WHY},
	{"netcheck", CTL_NETCHECK},
	{"metrics", CTL_METRICS},
};

const char *
ctl_verb_name(enum ctl_verb verb)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == verb)
			return verbs[i].name;
	return "?";
}

static bool
takes_target(enum ctl_verb verb)
{
	return verb == CTL_PING || verb == CTL_WHY;
}

/* A peer's name, key or address: printable, no spaces (the tokenizer split on them). */
static bool
target_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > CTL_TARGET_MAX || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
			return false;
	return true;
}

static int
parse_ms(const char *text, uint32_t *out)
{
	uint32_t v = 0;

	if (text == NULL || text[0] == '\0' || (text[0] == '0' && text[1] != '\0'))
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint32_t)(*p - '0');
		if (v > CTL_PING_TIMEOUT_MAX_MS)
			return -1;
	}
	if (v == 0)
		return -1;
	*out = v;
	return 0;
}

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
	memset(req, 0, sizeof(*req));
	req->timeout_ms = CTL_PING_TIMEOUT_DEFAULT_MS;
	verb = strtok_r(line, " \t\r", &save);
	if (verb == NULL) {
		snprintf(why, why_size, "empty request");
		return -1;
	}
	{
		size_t i;

		for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (strcmp(verb, verbs[i].name) == 0)
				break;
		if (i == sizeof(verbs) / sizeof(verbs[0]))
			goto unknown_verb;
		req->verb = verbs[i].verb;
	}
	while ((opt = strtok_r(NULL, " \t\r", &save)) != NULL) {
		if (strcmp(opt, "--json") == 0) {
			req->json = true;
		} else if (strcmp(opt, "--run") == 0 && req->verb == CTL_NETCHECK) {
			req->run = true;
		} else if (strcmp(opt, "--timeout") == 0 && req->verb == CTL_PING) {
			if (parse_ms(strtok_r(NULL, " \t\r", &save), &req->timeout_ms) != 0) {
				snprintf(why, why_size, "--timeout wants milliseconds, 1..%d",
					 CTL_PING_TIMEOUT_MAX_MS);
				return -1;
			}
		} else if (opt[0] != '-' && takes_target(req->verb) && req->target[0] == '\0') {
			if (!target_ok(opt)) {
				snprintf(why, why_size, "bad peer name");
				return -1;
			}
			snprintf(req->target, sizeof(req->target), "%s", opt);
		} else {
			snprintf(why, why_size, "unknown option %.64s", opt);
			return -1;
		}
	}
	if (takes_target(req->verb) && req->target[0] == '\0') {
		snprintf(why, why_size, "%s needs a peer (name, public key or tunnel address)", verb);
		return -1;
	}
	return 0;
unknown_verb:
	snprintf(why, why_size,
		 "unknown verb %.64s (status, stats, neighbors, metrics, reload, ping, why, netcheck)", verb);
	return -1;
}
