/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MapResponse, RegisterResponse and /key parsing, request building (tailnet_json.h).
 * Concurrency: pure functions; jansson's allocator is the process's malloc.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "tailnet_json_util.h"
#include "tailnet_keys.h"

/* Helpers (tailnet_json_util.h) */

json_t *
jmember(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	const char *key;
	json_t *value;

	if (v == NULL) {
		json_object_foreach(obj, key, value) {
			if (strcasecmp(key, name) == 0) {
				v = value;
				break;
			}
		}
	}
	return v == NULL || json_is_null(v) ? NULL : v;
}

int
jfail(struct jctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, TAILNET_WHY_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

int
jstring(struct jctx *c, json_t *v, const char *what, const char **out)
{
	if (!json_is_string(v))
		return jfail(c, "%s: not a string", what);
	*out = json_string_value(v);
	return 0;
}

int
jtext(struct jctx *c, json_t *v, const char *what, char *dst, size_t size)
{
	const char *s;
	size_t len;

	if (v == NULL)
		return 0;
	if (jstring(c, v, what, &s) < 0)
		return -1;
	len = json_string_length(v);
	if (len >= size) {
		len = size - 1;
		c->counters->texts_truncated++;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int
jint(struct jctx *c, json_t *v, const char *what, int64_t min, int64_t max, int64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return jfail(c, "%s: not an integer", what);
	n = json_integer_value(v);
	if (n < min || n > max)
		return jfail(c, "%s: %lld out of range", what, (long long)n);
	*out = (int64_t)n;
	return 0;
}

int
jbool(struct jctx *c, json_t *v, const char *what, bool *out)
{
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return jfail(c, "%s: not true or false", what);
	*out = json_is_true(v);
	return 0;
}

int
jprefix(struct jctx *c, json_t *v, const char *what, struct netprefix *out)
{
	const char *s, *reason;

	if (jstring(c, v, what, &s) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	if (netprefix_parse(s, out, &reason) < 0)
		return jfail(c, "%s: bad prefix: %s", what, reason);
	return 0;
}

int
jlist(struct jctx *c, json_t *v, const char *what, size_t max, size_t *count)
{
	*count = 0;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return jfail(c, "%s: not a list", what);
	*count = json_array_size(v);
	if (*count > max)
		return jfail(c, "%s: %zu entries, more than %zu", what, *count, max);
	return 0;
}

int
jobject(struct jctx *c, json_t *v, const char *what)
{
	if (v != NULL && !json_is_object(v))
		return jfail(c, "%s: not an object", what);
	return 0;
}

/* Times */

static bool
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
tailnet_json_parse_time(const char *t, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year, month, day, hour, minute, second, oh = 0, om = 0;
	size_t len = strlen(t), at = 19;
	int64_t seconds;
	bool leap;

	if (len < 20 || !digits(t, 4, &year) || t[4] != '-' || !digits(t + 5, 2, &month) ||
	    t[7] != '-' || !digits(t + 8, 2, &day) || (t[10] != 'T' && t[10] != 't') ||
	    !digits(t + 11, 2, &hour) || t[13] != ':' || !digits(t + 14, 2, &minute) ||
	    t[16] != ':' || !digits(t + 17, 2, &second))
		return -1;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1] ||
	    (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59)
		return -1;
	if (t[at] == '.') {
		size_t start = ++at;

		while (at < len && isdigit((unsigned char)t[at]))
			at++;
		if (at == start || at - start > 9)
			return -1;
	}
	if (t[at] == 'Z' || t[at] == 'z') {
		at++;
	} else if (t[at] == '+' || t[at] == '-') {
		if (len - at != 6 || !digits(t + at + 1, 2, &oh) || t[at + 3] != ':' ||
		    !digits(t + at + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		if (t[at] == '-') {
			oh = -oh;
			om = -om;
		}
		at += 6;
	} else {
		return -1;
	}
	if (at != len)
		return -1;
	if (year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && second == 0 &&
	    oh == 0 && om == 0) {
		*out = 0; /* Go's zero time: not set */
		return 0;
	}
	seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
	*out = seconds - (int64_t)oh * 3600 - (int64_t)om * 60;
	return 0;
}

static int
jtime(struct jctx *c, json_t *v, const char *what, int64_t *out)
{
	const char *s;

	if (jstring(c, v, what, &s) < 0)
		return -1;
	if (tailnet_json_parse_time(s, out) < 0)
		return jfail(c, "%s: not an RFC 3339 time", what);
	return 0;
}

static int
jkey(struct jctx *c, json_t *v, const char *what, const char *prefix, uint8_t key[32])
{
	const char *s;

	if (jstring(c, v, what, &s) < 0)
		return -1;
	if (tailnet_key_parse(s, prefix, key) < 0)
		return jfail(c, "%s: not a %s<64 hex> key", what, prefix);
	return 0;
}

/* A list of prefixes into a fresh array (NULL when empty). */
static int
prefix_list(struct jctx *c, json_t *v, const char *what, size_t max, struct netprefix **out,
	    size_t *count)
{
	char item[64];
	size_t n;

	*out = NULL;
	*count = 0;
	if (jlist(c, v, what, max, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (*out == NULL)
		return jfail(c, "%s: out of memory", what);
	for (size_t i = 0; i < n; i++) {
		snprintf(item, sizeof(item), "%s[%zu]", what, i);
		if (jprefix(c, json_array_get(v, i), item, &(*out)[i]) < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	*count = n;
	return 0;
}

/* Endpoints: zoned IPv6 (link-local) and those past the limit are skipped and counted. */
static int
endpoint_list(struct jctx *c, json_t *v, const char *what, struct netendpoint **out,
	      size_t *count)
{
	size_t n, used = 0;

	*out = NULL;
	*count = 0;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return jfail(c, "%s: not a list", what);
	n = json_array_size(v);
	if (n == 0)
		return 0;
	*out = calloc(n < TAILNET_NODE_ENDPOINTS_MAX ? n : TAILNET_NODE_ENDPOINTS_MAX,
		      sizeof(**out));
	if (*out == NULL)
		return jfail(c, "%s: out of memory", what);
	for (size_t i = 0; i < n; i++) {
		const char *s, *reason;

		if (jstring(c, json_array_get(v, i), what, &s) < 0)
			goto fail;
		if (strchr(s, '%') != NULL || used == TAILNET_NODE_ENDPOINTS_MAX) {
			c->counters->endpoints_skipped++;
			continue;
		}
		if (netendpoint_parse(s, &(*out)[used], &reason) < 0) {
			jfail(c, "%s[%zu]: bad endpoint: %s", what, i, reason);
			goto fail;
		}
		used++;
	}
	*count = used;
	return 0;
fail:
	free(*out);
	*out = NULL;
	return -1;
}

/* "127.3.3.40:<region>" */
static uint32_t
legacy_derp_region(const char *s)
{
	static const char prefix[] = "127.3.3.40:";
	char *end;
	long v;

	if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	errno = 0;
	v = strtol(s + sizeof(prefix) - 1, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 && v <= 65535 ? (uint32_t)v : 0;
}

static int
opt_bool(struct jctx *c, json_t *v, const char *what, enum tailnet_opt_bool *out)
{
	bool b = false;

	if (v == NULL)
		return 0;
	if (jbool(c, v, what, &b) < 0)
		return -1;
	*out = b ? TAILNET_TRUE : TAILNET_FALSE;
	return 0;
}

/* Nodes */

static int
parse_node(struct jctx *c, json_t *o, const char *where, struct tailnet_node **out)
{
	struct tailnet_node *n;
	json_t *v, *hostinfo;
	char what[96];
	int64_t num;

	*out = NULL;
	if (!json_is_object(o))
		return jfail(c, "%s: not an object", where);
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return jfail(c, "%s: out of memory", where);
#define FIELD(name) (snprintf(what, sizeof(what), "%s.%s", where, name), what)
	v = jmember(o, "ID");
	if (v == NULL) {
		jfail(c, "%s: no ID", where);
		goto fail;
	}
	if (jint(c, v, FIELD("ID"), 1, INT64_MAX, &n->id) < 0 ||
	    jtext(c, jmember(o, "StableID"), FIELD("StableID"), n->stable_id,
		  sizeof(n->stable_id)) < 0 ||
	    jtext(c, jmember(o, "Name"), FIELD("Name"), n->name, sizeof(n->name)) < 0)
		goto fail;
	if ((v = jmember(o, "User")) != NULL &&
	    jint(c, v, FIELD("User"), INT64_MIN, INT64_MAX, &n->user) < 0)
		goto fail;
	if ((v = jmember(o, "Key")) == NULL) {
		jfail(c, "%s: no Key", where);
		goto fail;
	}
	if (jkey(c, v, FIELD("Key"), "nodekey:", n->node_key) < 0)
		goto fail;
	if ((v = jmember(o, "Machine")) != NULL &&
	    jkey(c, v, FIELD("Machine"), "mkey:", n->machine_key) < 0)
		goto fail;
	if ((v = jmember(o, "DiscoKey")) != NULL &&
	    jkey(c, v, FIELD("DiscoKey"), "discokey:", n->disco_key) < 0)
		goto fail;
	if (prefix_list(c, jmember(o, "Addresses"), FIELD("Addresses"),
			TAILNET_NODE_ADDRESSES_MAX, &n->addresses, &n->address_count) < 0)
		goto fail;
	if ((v = jmember(o, "AllowedIPs")) != NULL) {
		if (prefix_list(c, v, FIELD("AllowedIPs"), TAILNET_NODE_ALLOWED_IPS_MAX,
				&n->allowed_ips, &n->allowed_ip_count) < 0)
			goto fail;
	} else if (n->address_count > 0) {
		/* nil AllowedIPs means the same as Addresses (capability version 112) */
		n->allowed_ips = malloc(n->address_count * sizeof(*n->allowed_ips));
		if (n->allowed_ips == NULL) {
			jfail(c, "%s: out of memory", where);
			goto fail;
		}
		memcpy(n->allowed_ips, n->addresses, n->address_count * sizeof(*n->allowed_ips));
		n->allowed_ip_count = n->address_count;
		n->allowed_ips_from_addresses = true;
	} else {
		n->allowed_ips_from_addresses = true;
	}
	if (prefix_list(c, jmember(o, "PrimaryRoutes"), FIELD("PrimaryRoutes"),
			TAILNET_NODE_ALLOWED_IPS_MAX, &n->primary_routes,
			&n->primary_route_count) < 0 ||
	    endpoint_list(c, jmember(o, "Endpoints"), FIELD("Endpoints"), &n->endpoints,
			  &n->endpoint_count) < 0)
		goto fail;
	if ((v = jmember(o, "HomeDERP")) != NULL) {
		if (jint(c, v, FIELD("HomeDERP"), 0, 65535, &num) < 0)
			goto fail;
		n->home_derp = (uint32_t)num;
	}
	if (n->home_derp == 0 && (v = jmember(o, "DERP")) != NULL) {
		const char *s;

		if (jstring(c, v, FIELD("DERP"), &s) < 0)
			goto fail;
		n->home_derp = legacy_derp_region(s);
	}
	if (opt_bool(c, jmember(o, "Online"), FIELD("Online"), &n->online) < 0)
		goto fail;
	if ((v = jmember(o, "LastSeen")) != NULL &&
	    jtime(c, v, FIELD("LastSeen"), &n->last_seen) < 0)
		goto fail;
	if ((v = jmember(o, "KeyExpiry")) != NULL &&
	    jtime(c, v, FIELD("KeyExpiry"), &n->key_expiry) < 0)
		goto fail;
	if (jbool(c, jmember(o, "Expired"), FIELD("Expired"), &n->expired) < 0 ||
	    jbool(c, jmember(o, "MachineAuthorized"), FIELD("MachineAuthorized"),
		  &n->machine_authorized) < 0 ||
	    jbool(c, jmember(o, "IsWireGuardOnly"), FIELD("IsWireGuardOnly"),
		  &n->is_wireguard_only) < 0)
		goto fail;
	if ((v = jmember(o, "Cap")) != NULL) {
		if (jint(c, v, FIELD("Cap"), 0, 65535, &num) < 0)
			goto fail;
		n->cap = (uint16_t)num;
	}
	hostinfo = jmember(o, "Hostinfo");
	if (jobject(c, hostinfo, FIELD("Hostinfo")) < 0 ||
	    jtext(c, jmember(hostinfo, "Hostname"), FIELD("Hostinfo.Hostname"), n->hostname,
		  sizeof(n->hostname)) < 0)
		goto fail;
#undef FIELD
	*out = n;
	return 0;
fail:
	tailnet_node_free(n);
	return -1;
}

static int
node_list(struct jctx *c, json_t *v, const char *what, size_t max, struct tailnet_node ***out,
	  size_t *count)
{
	char item[64];
	size_t n;

	*out = NULL;
	*count = 0;
	if (jlist(c, v, what, max, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (*out == NULL)
		return jfail(c, "%s: out of memory", what);
	/* count grows with every node parsed, so a failure frees exactly those */
	for (size_t i = 0; i < n; i++) {
		snprintf(item, sizeof(item), "%s[%zu]", what, i);
		if (parse_node(c, json_array_get(v, i), item, &(*out)[i]) < 0)
			return -1;
		(*count)++;
	}
	return 0;
}

static int
parse_patch(struct jctx *c, json_t *o, const char *where, struct tailnet_patch *p)
{
	char what[96];
	json_t *v;
	int64_t num;

	if (!json_is_object(o))
		return jfail(c, "%s: not an object", where);
#define FIELD(name) (snprintf(what, sizeof(what), "%s.%s", where, name), what)
	if ((v = jmember(o, "NodeID")) == NULL)
		return jfail(c, "%s: no NodeID", where);
	if (jint(c, v, FIELD("NodeID"), 1, INT64_MAX, &p->id) < 0)
		return -1;
	if ((v = jmember(o, "DERPRegion")) != NULL) {
		if (jint(c, v, FIELD("DERPRegion"), 0, 65535, &num) < 0)
			return -1;
		p->has_derp = num != 0; /* zero means "not changed" (omitzero) */
		p->derp = (uint32_t)num;
	}
	if ((v = jmember(o, "Cap")) != NULL) {
		if (jint(c, v, FIELD("Cap"), 0, 65535, &num) < 0)
			return -1;
		p->has_cap = num != 0;
		p->cap = (uint16_t)num;
	}
	if ((v = jmember(o, "Endpoints")) != NULL) {
		if (endpoint_list(c, v, FIELD("Endpoints"), &p->endpoints, &p->endpoint_count) < 0)
			return -1;
		p->has_endpoints = true;
	}
	if ((v = jmember(o, "Key")) != NULL) {
		if (jkey(c, v, FIELD("Key"), "nodekey:", p->key) < 0)
			return -1;
		p->has_key = true;
	}
	if ((v = jmember(o, "DiscoKey")) != NULL) {
		if (jkey(c, v, FIELD("DiscoKey"), "discokey:", p->disco) < 0)
			return -1;
		p->has_disco = true;
	}
	if ((v = jmember(o, "Online")) != NULL) {
		if (jbool(c, v, FIELD("Online"), &p->online) < 0)
			return -1;
		p->has_online = true;
	}
	if ((v = jmember(o, "LastSeen")) != NULL) {
		if (jtime(c, v, FIELD("LastSeen"), &p->last_seen) < 0)
			return -1;
		p->has_last_seen = true;
	}
	if ((v = jmember(o, "KeyExpiry")) != NULL) {
		if (jtime(c, v, FIELD("KeyExpiry"), &p->key_expiry) < 0)
			return -1;
		p->has_key_expiry = true;
	}
#undef FIELD
	return 0;
}

/* A JSON object keyed by decimal node IDs, e.g. OnlineChange {"5": true}. */
static int
id_flags(struct jctx *c, json_t *o, const char *what, size_t max, struct tailnet_id_flag **out,
	 size_t *count)
{
	const char *key;
	json_t *value;
	size_t n = 0;

	*out = NULL;
	*count = 0;
	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return jfail(c, "%s: not an object", what);
	if (json_object_size(o) > max)
		return jfail(c, "%s: more than %zu entries", what, max);
	if (json_object_size(o) == 0)
		return 0;
	*out = calloc(json_object_size(o), sizeof(**out));
	if (*out == NULL)
		return jfail(c, "%s: out of memory", what);
	json_object_foreach(o, key, value) {
		char *end;
		long long id;

		errno = 0;
		id = strtoll(key, &end, 10);
		if (key[0] == '\0' || !isdigit((unsigned char)key[0]) || *end != '\0' ||
		    errno != 0 || id <= 0)
			return jfail(c, "%s: key \"%.32s\" is not a node ID", what, key);
		if (!json_is_boolean(value))
			return jfail(c, "%s[%lld]: not true or false", what, id);
		(*out)[n++] = (struct tailnet_id_flag){id, json_is_true(value)};
		*count = n;
	}
	return 0;
}

/* DERP map */

static int
parse_derp_node(struct jctx *c, json_t *o, const char *where, struct tailnet_derp_node *d)
{
	char what[96];
	json_t *v;
	int64_t num;

	if (!json_is_object(o))
		return jfail(c, "%s: not an object", where);
#define FIELD(name) (snprintf(what, sizeof(what), "%s.%s", where, name), what)
	if (jtext(c, jmember(o, "Name"), FIELD("Name"), d->name, sizeof(d->name)) < 0 ||
	    jtext(c, jmember(o, "HostName"), FIELD("HostName"), d->host_name,
		  sizeof(d->host_name)) < 0 ||
	    jtext(c, jmember(o, "CertName"), FIELD("CertName"), d->cert_name,
		  sizeof(d->cert_name)) < 0 ||
	    jtext(c, jmember(o, "IPv4"), FIELD("IPv4"), d->ipv4, sizeof(d->ipv4)) < 0 ||
	    jtext(c, jmember(o, "IPv6"), FIELD("IPv6"), d->ipv6, sizeof(d->ipv6)) < 0 ||
	    jtext(c, jmember(o, "STUNTestIP"), FIELD("STUNTestIP"), d->stun_test_ip,
		  sizeof(d->stun_test_ip)) < 0)
		return -1;
	if ((v = jmember(o, "RegionID")) != NULL) {
		if (jint(c, v, FIELD("RegionID"), 0, 65535, &num) < 0)
			return -1;
		d->region_id = (uint32_t)num;
	}
	if ((v = jmember(o, "STUNPort")) != NULL) {
		if (jint(c, v, FIELD("STUNPort"), -1, 65535, &num) < 0)
			return -1;
		d->stun_port = (int32_t)num;
	}
	if ((v = jmember(o, "DERPPort")) != NULL) {
		if (jint(c, v, FIELD("DERPPort"), 0, 65535, &num) < 0)
			return -1;
		d->derp_port = (int32_t)num;
	}
	if (jbool(c, jmember(o, "STUNOnly"), FIELD("STUNOnly"), &d->stun_only) < 0 ||
	    jbool(c, jmember(o, "InsecureForTests"), FIELD("InsecureForTests"),
		  &d->insecure_for_tests) < 0 ||
	    jbool(c, jmember(o, "CanPort80"), FIELD("CanPort80"), &d->can_port80) < 0)
		return -1;
#undef FIELD
	return 0;
}

static int
region_id_key(const char *key, uint32_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(key, &end, 10);
	if (key[0] == '\0' || !isdigit((unsigned char)key[0]) || *end != '\0' || errno != 0 ||
	    v <= 0 || v > 65535)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
compare_regions(const void *x, const void *y)
{
	const struct tailnet_derp_region *a = x, *b = y;

	return a->region_id < b->region_id ? -1 : a->region_id > b->region_id;
}

static int
parse_derp_map(struct jctx *c, json_t *o, struct tailnet_delta *d)
{
	struct tailnet_derp_map *m = &d->derp;
	json_t *regions, *home, *scores, *value;
	const char *key;
	char what[96];
	size_t n = 0;

	if (jobject(c, o, "DERPMap") < 0)
		return -1;
	d->has_derp = true;
	regions = jmember(o, "Regions");
	if (jobject(c, regions, "DERPMap.Regions") < 0 ||
	    jbool(c, jmember(o, "omitDefaultRegions"), "DERPMap.omitDefaultRegions",
		  &m->omit_default_regions) < 0)
		return -1;
	d->derp_keep_regions = regions == NULL;
	if (regions != NULL && json_object_size(regions) > TAILNET_DERP_REGIONS_MAX)
		return jfail(c, "DERPMap.Regions: more than %d regions", TAILNET_DERP_REGIONS_MAX);
	if (regions != NULL && json_object_size(regions) > 0) {
		m->regions = calloc(json_object_size(regions), sizeof(*m->regions));
		if (m->regions == NULL)
			return jfail(c, "DERPMap: out of memory");
	}
	json_object_foreach(regions, key, value) {
		struct tailnet_derp_region *r = &m->regions[n];
		json_t *nodes, *v;
		uint32_t id;
		size_t count;

		if (region_id_key(key, &id) < 0)
			return jfail(c, "DERPMap.Regions: key \"%.32s\" is not a region ID", key);
		if (json_is_null(value))
			continue; /* headscale was seen to send null regions: dropped, as Go does */
		snprintf(what, sizeof(what), "DERPMap.Regions[%u]", id);
		if (!json_is_object(value))
			return jfail(c, "%s: not an object", what);
		r->region_id = id;
		if ((v = jmember(value, "RegionID")) != NULL) {
			int64_t rid;

			if (jint(c, v, what, 0, 65535, &rid) < 0)
				return -1;
			if (rid != 0 && rid != id)
				return jfail(c, "%s: RegionID %lld differs from its key", what,
					     (long long)rid);
		}
		if (jtext(c, jmember(value, "RegionCode"), what, r->code, sizeof(r->code)) < 0 ||
		    jtext(c, jmember(value, "RegionName"), what, r->name, sizeof(r->name)) < 0 ||
		    jbool(c, jmember(value, "Avoid"), what, &r->avoid) < 0 ||
		    jbool(c, jmember(value, "NoMeasureNoHome"), what, &r->no_measure_no_home) < 0)
			return -1;
		nodes = jmember(value, "Nodes");
		/* the region counts (and is freed) from here on */
		m->region_count = ++n;
		if (jlist(c, nodes, what, TAILNET_DERP_NODES_MAX, &count) < 0)
			return -1;
		if (count > 0) {
			r->nodes = calloc(count, sizeof(*r->nodes));
			if (r->nodes == NULL)
				return jfail(c, "%s: out of memory", what);
		}
		r->node_count = count;
		for (size_t i = 0; i < count; i++) {
			char node_what[112];
			json_t *node = json_array_get(nodes, i);

			snprintf(node_what, sizeof(node_what), "%s.Nodes[%zu]", what, i);
			if (json_is_null(node))
				return jfail(c, "%s: null", node_what);
			if (parse_derp_node(c, node, node_what, &r->nodes[i]) < 0)
				return -1;
		}
	}
	if (m->region_count > 0)
		qsort(m->regions, m->region_count, sizeof(*m->regions), compare_regions);
	for (size_t i = 1; i < m->region_count; i++) {
		if (m->regions[i].region_id == m->regions[i - 1].region_id)
			return jfail(c, "DERPMap.Regions: region %u twice", m->regions[i].region_id);
	}
	home = jmember(o, "HomeParams");
	if (jobject(c, home, "DERPMap.HomeParams") < 0)
		return -1;
	scores = jmember(home, "RegionScore");
	d->derp_keep_scores = scores == NULL;
	if (jobject(c, scores, "DERPMap.HomeParams.RegionScore") < 0)
		return -1;
	if (scores != NULL && json_object_size(scores) > TAILNET_DERP_REGIONS_MAX)
		return jfail(c, "DERPMap.HomeParams.RegionScore: too many entries");
	if (scores != NULL && json_object_size(scores) > 0) {
		m->region_scores = calloc(json_object_size(scores), sizeof(*m->region_scores));
		if (m->region_scores == NULL)
			return jfail(c, "DERPMap: out of memory");
	}
	json_object_foreach(scores, key, value) {
		uint32_t id;

		if (region_id_key(key, &id) < 0 || !json_is_number(value))
			return jfail(c, "DERPMap.HomeParams.RegionScore: bad entry \"%.32s\"", key);
		m->region_scores[m->region_score_count++] =
			(struct tailnet_derp_score){id, json_number_value(value)};
	}
	return 0;
}

/* Packet filters (the rules themselves: tailnet_filter.c) */

int tailnet_filter_parse_list(struct jctx *c, json_t *list, const char *what,
			      struct tailnet_filter_rule **rules, size_t *count);

static int
add_chunk(struct jctx *c, struct tailnet_delta *d, const char *name, json_t *list)
{
	struct tailnet_filter_chunk *chunk = &d->chunks[d->chunk_count];
	char what[96];

	snprintf(what, sizeof(what), "PacketFilters[%.40s]", name);
	chunk->name = strdup(name);
	if (chunk->name == NULL)
		return jfail(c, "%s: out of memory", what);
	d->chunk_count++;
	if (list == NULL) {
		chunk->remove = true;
		return 0;
	}
	return tailnet_filter_parse_list(c, list, what, &chunk->rules, &chunk->rule_count);
}

static int
parse_filters(struct jctx *c, json_t *root, struct tailnet_delta *d)
{
	json_t *base = jmember(root, "PacketFilter"), *named = jmember(root, "PacketFilters");
	json_t *value;
	const char *key;
	size_t n = (base != NULL) + (named != NULL ? json_object_size(named) : 0);

	if (jobject(c, named, "PacketFilters") < 0)
		return -1;
	if (base == NULL && named == NULL)
		return 0;
	d->has_filter = true;
	if (n > TAILNET_FILTER_CHUNKS_MAX)
		return jfail(c, "PacketFilters: more than %d chunks", TAILNET_FILTER_CHUNKS_MAX);
	d->chunks = calloc(n + 1, sizeof(*d->chunks));
	if (d->chunks == NULL)
		return jfail(c, "PacketFilters: out of memory");
	if (named != NULL) {
		json_t *clear = json_object_get(named, "*");

		d->filter_clear = clear != NULL && json_is_null(clear);
	}
	/* PacketFilter (applied first) is the chunk "base"; "*": null in the same message
	 * clears it again, as Go applies the two in that order */
	if (base != NULL && !d->filter_clear && add_chunk(c, d, "base", base) < 0)
		return -1;
	json_object_foreach(named, key, value) {
		if (strcmp(key, "*") == 0 && json_is_null(value))
			continue;
		if (add_chunk(c, d, key, json_is_null(value) ? NULL : value) < 0)
			return -1;
	}
	return 0;
}

/* MapResponse */

static int
parse_map(struct jctx *c, json_t *root, struct tailnet_delta *d, size_t max_peers)
{
	json_t *v;
	size_t n;

	if (!json_is_object(root))
		return jfail(c, "MapResponse: not an object");
	if (jbool(c, jmember(root, "KeepAlive"), "KeepAlive", &d->keepalive) < 0)
		return -1;
	if (d->keepalive && json_object_size(root) == 1)
		return 0;
	d->keepalive = false; /* a keepalive flag on a message with content: take the content */
	if ((v = jmember(root, "Node")) != NULL && parse_node(c, v, "Node", &d->self) < 0)
		return -1;
	if ((v = jmember(root, "DERPMap")) != NULL && parse_derp_map(c, v, d) < 0)
		return -1;
	if (node_list(c, jmember(root, "Peers"), "Peers", max_peers, &d->peers, &d->peer_count) <
		    0 ||
	    node_list(c, jmember(root, "PeersChanged"), "PeersChanged", max_peers, &d->changed,
		      &d->changed_count) < 0)
		return -1;
	if (jlist(c, v = jmember(root, "PeersRemoved"), "PeersRemoved", max_peers * 4, &n) < 0)
		return -1;
	if (n > 0) {
		d->removed = calloc(n, sizeof(*d->removed));
		if (d->removed == NULL)
			return jfail(c, "PeersRemoved: out of memory");
		for (size_t i = 0; i < n; i++) {
			char what[48];

			snprintf(what, sizeof(what), "PeersRemoved[%zu]", i);
			if (jint(c, json_array_get(v, i), what, 1, INT64_MAX, &d->removed[i]) < 0)
				return -1;
		}
		d->removed_count = n;
	}
	if (id_flags(c, jmember(root, "PeerSeenChange"), "PeerSeenChange", max_peers * 4,
		     &d->seen, &d->seen_count) < 0 ||
	    id_flags(c, jmember(root, "OnlineChange"), "OnlineChange", max_peers * 4, &d->online,
		     &d->online_count) < 0)
		return -1;
	if (jlist(c, v = jmember(root, "PeersChangedPatch"), "PeersChangedPatch", max_peers * 4,
		  &n) < 0)
		return -1;
	if (n > 0) {
		d->patches = calloc(n, sizeof(*d->patches));
		if (d->patches == NULL)
			return jfail(c, "PeersChangedPatch: out of memory");
		for (size_t i = 0; i < n; i++) {
			char what[48];

			snprintf(what, sizeof(what), "PeersChangedPatch[%zu]", i);
			d->patch_count = i + 1;
			if (parse_patch(c, json_array_get(v, i), what, &d->patches[i]) < 0)
				return -1;
		}
	}
	if (parse_filters(c, root, d) < 0)
		return -1;
	if ((v = jmember(root, "Domain")) != NULL) {
		const char *s;

		if (jstring(c, v, "Domain", &s) < 0)
			return -1;
		if (s[0] != '\0') { /* empty means unchanged */
			d->domain = strdup(s);
			if (d->domain == NULL)
				return jfail(c, "Domain: out of memory");
		}
	}
	if (jmember(root, "PingRequest") != NULL) {
		d->ping_request = true;
		c->counters->ping_requests_ignored++;
	}
	return 0;
}

int
tailnet_json_parse_map(const char *text, size_t len, struct tailnet_delta *d,
		       struct tailnet_parse_counters *counters, char why[TAILNET_WHY_MAX])
{
	struct jctx c = {.why = why, .counters = counters};
	json_error_t error;
	json_t *root;
	int rc;

	tailnet_delta_init(d);
	root = json_loadb(text, len, 0, &error);
	if (root == NULL) {
		snprintf(why, TAILNET_WHY_MAX, "not JSON: %s at %d:%d", error.text, error.line,
			 error.column);
		return -1;
	}
	/* the peer cap itself is the store's; this bounds the parse */
	rc = parse_map(&c, root, d, TAILNET_DEFAULT_PEERS_MAX * 4);
	json_decref(root);
	if (rc < 0)
		tailnet_delta_free(d);
	return rc;
}

int
tailnet_json_parse_filter(const char *text, size_t len, struct tailnet_filter_rule **rules,
			  size_t *count, struct tailnet_parse_counters *counters,
			  char why[TAILNET_WHY_MAX])
{
	struct jctx c = {.why = why, .counters = counters};
	json_error_t error;
	json_t *root = json_loadb(text, len, 0, &error);
	int rc;

	*rules = NULL;
	*count = 0;
	if (root == NULL) {
		snprintf(why, TAILNET_WHY_MAX, "not JSON: %s", error.text);
		return -1;
	}
	rc = tailnet_filter_parse_list(&c, root, "PacketFilter", rules, count);
	json_decref(root);
	if (rc < 0) {
		tailnet_filter_rules_free(*rules, *count);
		*rules = NULL;
		*count = 0;
	}
	return rc;
}

/* RegisterResponse and /key */

int
tailnet_json_parse_register(const char *text, size_t len, struct tailnet_register_result *r,
			    char why[TAILNET_WHY_MAX])
{
	struct tailnet_parse_counters counters = {0};
	struct jctx c = {.why = why, .counters = &counters};
	json_error_t error;
	json_t *root = json_loadb(text, len, 0, &error), *user;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (root == NULL) {
		snprintf(why, TAILNET_WHY_MAX, "RegisterResponse: not JSON: %s", error.text);
		return -1;
	}
	if (!json_is_object(root)) {
		jfail(&c, "RegisterResponse: not an object");
		goto out;
	}
	user = jmember(root, "User");
	if (jbool(&c, jmember(root, "MachineAuthorized"), "MachineAuthorized",
		  &r->machine_authorized) < 0 ||
	    jbool(&c, jmember(root, "NodeKeyExpired"), "NodeKeyExpired", &r->node_key_expired) <
		    0 ||
	    jtext(&c, jmember(root, "AuthURL"), "AuthURL", r->auth_url, sizeof(r->auth_url)) < 0 ||
	    jtext(&c, jmember(root, "Error"), "Error", r->error, sizeof(r->error)) < 0 ||
	    jobject(&c, user, "User") < 0 ||
	    jtext(&c, jmember(user, "LoginName"), "User.LoginName", r->login_name,
		  sizeof(r->login_name)) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
tailnet_json_parse_server_key(const uint8_t *body, size_t len, uint8_t key[32],
			      char why[TAILNET_WHY_MAX])
{
	struct tailnet_parse_counters counters = {0};
	struct jctx c = {.why = why, .counters = &counters};
	json_t *root = json_loadb((const char *)body, len, 0, NULL), *v;
	char hex[TAILNET_KEY_HEX_LEN + 1];
	size_t end = len;
	int rc;

	if (root == NULL) {
		/* an old server: the key as bare hex */
		while (end > 0 && isspace(body[end - 1]))
			end--;
		if (end != TAILNET_KEY_HEX_LEN)
			return jfail(&c, "neither JSON nor a hex key");
		memcpy(hex, body, end);
		hex[end] = '\0';
		if (tailnet_key_parse(hex, "", key) < 0)
			return jfail(&c, "neither JSON nor a hex key");
		return 0;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return jfail(&c, "not an object");
	}
	v = jmember(root, "publicKey");
	rc = v == NULL ? jfail(&c, "no publicKey")
		       : jkey(&c, v, "publicKey", "mkey:", key);
	if (rc == 0 && sodium_is_zero(key, 32))
		rc = jfail(&c, "publicKey is zero");
	json_decref(root);
	return rc;
}

/* Requests */

static json_t *
key_text(const char *prefix, const uint8_t key[32])
{
	char text[TAILNET_KEY_TEXT_MAX];

	tailnet_key_format(text, sizeof(text), prefix, key);
	return json_string(text);
}

static void
set_opt_bool(json_t *o, const char *name, enum tailnet_opt_bool b)
{
	if (b != TAILNET_UNKNOWN)
		json_object_set_new(o, name, json_boolean(b == TAILNET_TRUE));
}

static json_t *
netinfo_json(const struct tailnet_netinfo *ni)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set_opt_bool(o, "MappingVariesByDestIP", ni->mapping_varies_by_dest_ip);
	set_opt_bool(o, "WorkingIPv6", ni->working_ipv6);
	set_opt_bool(o, "OSHasIPv6", ni->os_has_ipv6);
	set_opt_bool(o, "WorkingUDP", ni->working_udp);
	set_opt_bool(o, "WorkingICMPv4", ni->working_icmpv4);
	if (ni->have_port_map)
		json_object_set_new(o, "HavePortMap", json_true());
	set_opt_bool(o, "UPnP", ni->upnp);
	set_opt_bool(o, "PMP", ni->pmp);
	set_opt_bool(o, "PCP", ni->pcp);
	if (ni->preferred_derp != 0)
		json_object_set_new(o, "PreferredDERP", json_integer(ni->preferred_derp));
	if (ni->derp_latency_count > 0) {
		json_t *lat = json_object();

		for (size_t i = 0; lat != NULL && i < ni->derp_latency_count; i++) {
			char name[24];

			snprintf(name, sizeof(name), "%u-%s", ni->derp_latency[i].region_id,
				 ni->derp_latency[i].ipv6 ? "v6" : "v4");
			json_object_set_new(lat, name, json_real(ni->derp_latency[i].seconds));
		}
		json_object_set_new(o, "DERPLatency", lat);
	}
	return o;
}

static json_t *
hostinfo_json(const struct tailnet_request_info *info)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "IPNVersion", json_string(info->ipn_version));
	json_object_set_new(o, "OS", json_string("linux"));
	json_object_set_new(o, "Hostname", json_string(info->hostname));
	if (info->advertise_exit_node) {
		json_t *routes = json_array();

		json_array_append_new(routes, json_string("0.0.0.0/0"));
		json_array_append_new(routes, json_string("::/0"));
		json_object_set_new(o, "RoutableIPs", routes);
	}
	if (info->netinfo != NULL)
		json_object_set_new(o, "NetInfo", netinfo_json(info->netinfo));
	return o;
}

static char *
dump(json_t *o)
{
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

char *
tailnet_json_register_request(const struct tailnet_request_info *info, const char *auth_key)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "Version", json_integer(info->version));
	json_object_set_new(o, "NodeKey", key_text("nodekey:", info->node_public));
	json_object_set_new(o, "Hostinfo", hostinfo_json(info));
	if (auth_key != NULL) {
		json_t *auth = json_object();

		json_object_set_new(auth, "AuthKey", json_string(auth_key));
		json_object_set_new(o, "Auth", auth);
	}
	return dump(o);
}

char *
tailnet_json_map_request(const struct tailnet_request_info *info, bool stream)
{
	json_t *o = json_object(), *eps, *types;
	char text[NETADDR_TEXT_MAX];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "Version", json_integer(info->version));
	if (stream && info->zstd)
		json_object_set_new(o, "Compress", json_string("zstd"));
	json_object_set_new(o, "KeepAlive", json_boolean(stream));
	json_object_set_new(o, "NodeKey", key_text("nodekey:", info->node_public));
	if (info->disco_public != NULL && !sodium_is_zero(info->disco_public, 32))
		json_object_set_new(o, "DiscoKey", key_text("discokey:", info->disco_public));
	json_object_set_new(o, "Stream", json_boolean(stream));
	if (!stream)
		json_object_set_new(o, "OmitPeers", json_true());
	json_object_set_new(o, "Hostinfo", hostinfo_json(info));
	eps = json_array();
	types = json_array();
	for (size_t i = 0; eps != NULL && types != NULL && i < info->endpoint_count; i++) {
		json_array_append_new(eps, json_string(netendpoint_format(&info->endpoints[i], text,
									  sizeof(text))));
		json_array_append_new(types, json_integer(info->endpoint_types[i]));
	}
	json_object_set_new(o, "Endpoints", eps);
	json_object_set_new(o, "EndpointTypes", types);
	return dump(o);
}
