/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tailcfg.FilterRule lists into struct tailnet_filter_rule, with the rules of Tailscale's
 * wgengine/filter (tailcfg.go MatchesFromFilterRules, parseIPSet): sources and destinations
 * are "*" (0.0.0.0/0 and ::/0), a prefix (no host bits), "a-b" (an inclusive range, turned into
 * the prefixes covering it), an address (/32 or /128), or for sources "cap:<name>"; an entry
 * Go's parser skips with an error is skipped and counted here too; IPProto absent means TCP,
 * UDP, ICMP and ICMPv6, and numbers outside 0..255 are dropped; CapGrant gives one cap entry
 * per destination and capability. The deprecated SrcBits and DstPorts[].Bits are refused (Go
 * refuses the whole filter for them).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tailnet_json_util.h"

static const uint8_t default_protos[] = {6, 17, 1, 58}; /* TCP, UDP, ICMP, ICMPv6 */

/* Growable arrays of one rule, bounded by the message's entry budget. */
static void *
grow(struct jctx *c, void *array, size_t *cap, size_t count, size_t size)
{
	size_t want;
	void *bigger;

	if (count < *cap)
		return array;
	if (c->filter_entries >= TAILNET_FILTER_ENTRIES_MAX) {
		jfail(c, "packet filter: more than %d entries in one message",
		      TAILNET_FILTER_ENTRIES_MAX);
		return NULL;
	}
	want = *cap == 0 ? 4 : *cap * 2;
	bigger = realloc(array, want * size);
	if (bigger == NULL) {
		jfail(c, "packet filter: out of memory");
		return NULL;
	}
	*cap = want;
	return bigger;
}

struct prefix_sink {
	struct netprefix *items;
	size_t count, cap;
};

static int
sink_add(struct jctx *c, struct prefix_sink *s, const struct netprefix *p)
{
	struct netprefix *items = grow(c, s->items, &s->cap, s->count, sizeof(*s->items));

	if (items == NULL)
		return -1;
	s->items = items;
	s->items[s->count++] = *p;
	c->filter_entries++;
	return 0;
}

typedef unsigned __int128 u128;

static u128
to_u128(const struct netaddr *a)
{
	size_t len = a->family == AF_INET ? 4 : 16;
	u128 v = 0;

	for (size_t i = 0; i < len; i++)
		v = v << 8 | a->bytes[i];
	return v;
}

static void
from_u128(struct netaddr *a, int family, u128 v)
{
	size_t len = family == AF_INET ? 4 : 16;

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	for (size_t i = len; i-- > 0;) {
		a->bytes[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The smallest set of prefixes covering lo..hi (inclusive), netipx.IPRange.Prefixes. */
static int
range_prefixes(struct jctx *c, struct prefix_sink *s, int family, u128 lo, u128 hi)
{
	unsigned int bits = family == AF_INET ? 32 : 128;

	for (;;) {
		unsigned int size = 0; /* log2 of the block */
		struct netprefix p;

		/* grow the block while lo stays aligned to it and it ends within hi */
		while (size < bits) {
			u128 mask = size + 1 == 128 ? ~(u128)0 : ((u128)1 << (size + 1)) - 1;

			if ((lo & mask) != 0 || lo + mask > hi || lo + mask < lo)
				break;
			size++;
		}
		from_u128(&p.addr, family, lo);
		p.len = (uint8_t)(bits - size);
		if (sink_add(c, s, &p) < 0)
			return -1;
		if (size == bits)
			return 0; /* the whole space */
		{
			u128 last = lo + (((u128)1 << size) - 1);

			if (last >= hi)
				return 0;
			lo = last + 1;
		}
	}
}

/*
 * One IP set text into prefixes (or a cap name). Returns 1 when added, 0 when skipped as Go
 * skips it (counted), -1 on a limit or no memory.
 */
static int
ip_set(struct jctx *c, const char *text, bool caps_allowed, struct prefix_sink *s, char **cap)
{
	struct netprefix p;
	struct netaddr a, b;
	const char *reason, *dash;
	char left[NETADDR_TEXT_MAX];

	*cap = NULL;
	if (strcmp(text, "*") == 0) {
		memset(&p, 0, sizeof(p));
		p.addr.family = AF_INET;
		if (sink_add(c, s, &p) < 0)
			return -1;
		p.addr.family = AF_INET6;
		return sink_add(c, s, &p) < 0 ? -1 : 1;
	}
	if (strncmp(text, "cap:", 4) == 0) {
		if (!caps_allowed)
			goto skip;
		*cap = strdup(text + 4);
		if (*cap == NULL)
			return jfail(c, "packet filter: out of memory");
		c->filter_entries++;
		return 1;
	}
	if (strchr(text, '/') != NULL) {
		memset(&p, 0, sizeof(p));
		if (netprefix_parse(text, &p, &reason) < 0 || !netprefix_is_canonical(&p))
			goto skip;
		return sink_add(c, s, &p) < 0 ? -1 : 1;
	}
	dash = strchr(text, '-');
	if (dash != NULL && strchr(dash + 1, '-') == NULL) {
		size_t len = (size_t)(dash - text);
		u128 lo, hi;

		if (len >= sizeof(left))
			goto skip;
		memcpy(left, text, len);
		left[len] = '\0';
		if (netaddr_parse(left, &a, &reason) < 0 || netaddr_parse(dash + 1, &b, &reason) < 0 ||
		    a.family != b.family)
			goto skip;
		lo = to_u128(&a);
		hi = to_u128(&b);
		if (lo > hi)
			goto skip;
		return range_prefixes(c, s, a.family, lo, hi) < 0 ? -1 : 1;
	}
	if (netaddr_parse(text, &a, &reason) < 0)
		goto skip;
	p.addr = a;
	p.len = a.family == AF_INET ? 32 : 128;
	return sink_add(c, s, &p) < 0 ? -1 : 1;
skip:
	c->counters->filter_entries_skipped++;
	return 0;
}

static int
parse_srcs(struct jctx *c, json_t *list, const char *what, struct tailnet_filter_rule *r)
{
	struct prefix_sink s = {0};
	size_t n, caps_cap = 0;

	if (jlist(c, list, what, TAILNET_FILTER_ENTRIES_MAX, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *text;
		char *cap;
		int rc;

		if (jstring(c, json_array_get(list, i), what, &text) < 0)
			goto fail;
		rc = ip_set(c, text, true, &s, &cap);
		if (rc < 0)
			goto fail;
		if (cap != NULL) {
			char **caps = grow(c, r->src_caps, &caps_cap, r->src_cap_count,
					   sizeof(*r->src_caps));

			if (caps == NULL) {
				free(cap);
				goto fail;
			}
			r->src_caps = caps;
			r->src_caps[r->src_cap_count++] = cap;
		}
	}
	r->srcs = s.items;
	r->src_count = s.count;
	return 0;
fail:
	free(s.items);
	return -1;
}

static int
parse_dsts(struct jctx *c, json_t *list, const char *what, struct tailnet_filter_rule *r)
{
	size_t n, cap = 0;

	if (jlist(c, list, what, TAILNET_FILTER_ENTRIES_MAX, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(list, i), *ports;
		struct prefix_sink s = {0};
		int64_t first = 0, last = 0;
		const char *text;
		char *capname;
		int rc;

		if (!json_is_object(d))
			return jfail(c, "%s[%zu]: not an object", what, i);
		if (jmember(d, "Bits") != NULL)
			return jfail(c, "%s[%zu]: the deprecated Bits is not supported", what, i);
		if (jmember(d, "IP") == NULL)
			return jfail(c, "%s[%zu]: no IP", what, i);
		if (jstring(c, jmember(d, "IP"), what, &text) < 0)
			return -1;
		ports = jmember(d, "Ports");
		if (jobject(c, ports, what) < 0)
			return -1;
		if (jmember(ports, "First") != NULL &&
		    jint(c, jmember(ports, "First"), what, 0, 65535, &first) < 0)
			return -1;
		if (jmember(ports, "Last") != NULL &&
		    jint(c, jmember(ports, "Last"), what, 0, 65535, &last) < 0)
			return -1;
		rc = ip_set(c, text, false, &s, &capname);
		if (rc < 0) {
			free(s.items);
			return -1;
		}
		for (size_t j = 0; j < s.count; j++) {
			struct tailnet_filter_dst *dsts =
				grow(c, r->dsts, &cap, r->dst_count, sizeof(*r->dsts));

			if (dsts == NULL) {
				free(s.items);
				return -1;
			}
			r->dsts = dsts;
			r->dsts[r->dst_count++] = (struct tailnet_filter_dst){
				s.items[j], {(uint16_t)first, (uint16_t)last}};
		}
		free(s.items);
	}
	return 0;
}

static int
parse_protos(struct jctx *c, json_t *list, const char *what, struct tailnet_filter_rule *r)
{
	size_t n, used = 0;

	if (jlist(c, list, what, TAILNET_FILTER_PROTOS_MAX, &n) < 0)
		return -1;
	if (n == 0) {
		r->protos = malloc(sizeof(default_protos));
		if (r->protos == NULL)
			return jfail(c, "packet filter: out of memory");
		memcpy(r->protos, default_protos, sizeof(default_protos));
		r->proto_count = sizeof(default_protos);
		return 0;
	}
	r->protos = calloc(n, 1);
	if (r->protos == NULL)
		return jfail(c, "packet filter: out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(list, i);

		if (!json_is_integer(v))
			return jfail(c, "%s[%zu]: not an integer", what, i);
		/* Go keeps 0..255 and drops the rest */
		if (json_integer_value(v) < 0 || json_integer_value(v) > 0xff) {
			c->counters->filter_entries_skipped++;
			continue;
		}
		r->protos[used++] = (uint8_t)json_integer_value(v);
	}
	r->proto_count = used;
	return 0;
}

static int
add_cap(struct jctx *c, struct tailnet_filter_rule *r, size_t *cap, const struct netprefix *dst,
	const char *name, json_t *values)
{
	struct tailnet_filter_cap *caps = grow(c, r->caps, cap, r->cap_count, sizeof(*r->caps));
	struct tailnet_filter_cap *e;

	if (caps == NULL)
		return -1;
	r->caps = caps;
	e = &r->caps[r->cap_count];
	memset(e, 0, sizeof(*e));
	e->dst = *dst;
	e->cap = strdup(name);
	if (values != NULL)
		e->values = json_dumps(values, JSON_COMPACT | JSON_ENCODE_ANY);
	if (e->cap == NULL || (values != NULL && e->values == NULL)) {
		free(e->cap);
		free(e->values);
		return jfail(c, "packet filter: out of memory");
	}
	r->cap_count++;
	c->filter_entries++;
	return 0;
}

static int
parse_cap_grants(struct jctx *c, json_t *list, const char *what, struct tailnet_filter_rule *r)
{
	size_t n, cap = 0;

	if (jlist(c, list, what, TAILNET_FILTER_ENTRIES_MAX, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *g = json_array_get(list, i), *dsts, *caps, *capmap, *value;
		struct netprefix *prefixes = NULL;
		size_t dst_count, cap_count;
		const char *key;
		char item[96];

		if (!json_is_object(g))
			return jfail(c, "%s[%zu]: not an object", what, i);
		snprintf(item, sizeof(item), "%s[%zu].Dsts", what, i);
		dsts = jmember(g, "Dsts");
		if (jlist(c, dsts, item, TAILNET_FILTER_ENTRIES_MAX, &dst_count) < 0)
			return -1;
		if (dst_count > 0) {
			prefixes = calloc(dst_count, sizeof(*prefixes));
			if (prefixes == NULL)
				return jfail(c, "packet filter: out of memory");
		}
		for (size_t j = 0; j < dst_count; j++) {
			if (jprefix(c, json_array_get(dsts, j), item, &prefixes[j]) < 0)
				goto fail;
		}
		caps = jmember(g, "Caps");
		capmap = jmember(g, "CapMap");
		snprintf(item, sizeof(item), "%s[%zu].Caps", what, i);
		if (jlist(c, caps, item, TAILNET_FILTER_ENTRIES_MAX, &cap_count) < 0 ||
		    jobject(c, capmap, item) < 0)
			goto fail;
		for (size_t j = 0; j < dst_count; j++) {
			for (size_t k = 0; k < cap_count; k++) {
				const char *name;

				if (jstring(c, json_array_get(caps, k), item, &name) < 0 ||
				    add_cap(c, r, &cap, &prefixes[j], name, NULL) < 0)
					goto fail;
			}
			json_object_foreach(capmap, key, value) {
				if (add_cap(c, r, &cap, &prefixes[j], key, value) < 0)
					goto fail;
			}
		}
		free(prefixes);
		continue;
fail:
		free(prefixes);
		return -1;
	}
	return 0;
}

static int
parse_rule(struct jctx *c, json_t *o, const char *where, struct tailnet_filter_rule *r)
{
	char what[128];
	size_t n;

	if (!json_is_object(o))
		return jfail(c, "%s: not an object", where);
	if (jlist(c, jmember(o, "SrcBits"), where, TAILNET_FILTER_ENTRIES_MAX, &n) < 0)
		return -1;
	if (n > 0)
		return jfail(c, "%s: the deprecated SrcBits is not supported", where);
#define FIELD(name) (snprintf(what, sizeof(what), "%s.%s", where, name), what)
	if (parse_srcs(c, jmember(o, "SrcIPs"), FIELD("SrcIPs"), r) < 0 ||
	    parse_dsts(c, jmember(o, "DstPorts"), FIELD("DstPorts"), r) < 0 ||
	    parse_protos(c, jmember(o, "IPProto"), FIELD("IPProto"), r) < 0 ||
	    parse_cap_grants(c, jmember(o, "CapGrant"), FIELD("CapGrant"), r) < 0)
		return -1;
#undef FIELD
	return 0;
}

int tailnet_filter_parse_list(struct jctx *c, json_t *list, const char *what,
			      struct tailnet_filter_rule **rules, size_t *count);

int
tailnet_filter_parse_list(struct jctx *c, json_t *list, const char *what,
			  struct tailnet_filter_rule **rules, size_t *count)
{
	size_t n;

	*rules = NULL;
	*count = 0;
	if (!json_is_array(list))
		return jfail(c, "%s: not a list", what);
	n = json_array_size(list);
	if (n > TAILNET_FILTER_RULES_MAX - c->filter_rules)
		return jfail(c, "%s: more than %d rules in one message", what,
			     TAILNET_FILTER_RULES_MAX);
	c->filter_rules += n;
	if (n == 0)
		return 0;
	*rules = calloc(n, sizeof(**rules));
	if (*rules == NULL)
		return jfail(c, "%s: out of memory", what);
	/* count covers every rule touched, so a failure frees exactly what was built */
	for (size_t i = 0; i < n; i++) {
		char where[128];

		snprintf(where, sizeof(where), "%s[%zu]", what, i);
		*count = i + 1;
		if (parse_rule(c, json_array_get(list, i), where, &(*rules)[i]) < 0)
			return -1;
	}
	return 0;
}
