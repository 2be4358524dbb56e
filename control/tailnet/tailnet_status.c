/* SPDX-License-Identifier: BSD-3-Clause */
/* The control client's status as text or JSON (tailnet_status). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "tailnet_internal.h"
#include "tailnet_keys.h"

static const char *
phase_name(enum tailnet_phase p)
{
	switch (p) {
	case TAILNET_PHASE_IDLE:
		return "idle";
	case TAILNET_PHASE_RESOLVE:
		return "resolve";
	case TAILNET_PHASE_KEY_CONNECT:
		return "key-connect";
	case TAILNET_PHASE_KEY_EXCHANGE:
		return "key-exchange";
	case TAILNET_PHASE_UP_CONNECT:
		return "upgrade-connect";
	case TAILNET_PHASE_UP_EXCHANGE:
		return "upgrade-exchange";
	case TAILNET_PHASE_SESSION:
		return "session";
	}
	return "unknown";
}

static const char *
opt_bool_name(enum tailnet_opt_bool b)
{
	return b == TAILNET_TRUE ? "true" : b == TAILNET_FALSE ? "false" : "null";
}

#define STAT(name) {#name, offsetof(struct tailnet_stats, name)}

static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
	STAT(connect_attempts), STAT(connects), STAT(disconnects), STAT(resolve_failures),
	STAT(connect_failures), STAT(key_fetch_failures), STAT(upgrade_failures),
	STAT(noise_failures), STAT(record_failures), STAT(early_payload_failures),
	STAT(http2_failures), STAT(register_failures), STAT(login_refused), STAT(self_expired),
	STAT(map_failures),
	STAT(map_framing_failures), STAT(map_json_failures), STAT(map_limit_failures),
	STAT(timeouts), STAT(watchdog_timeouts), STAT(map_messages), STAT(keepalives),
	STAT(lite_updates_sent), STAT(lite_update_failures), STAT(endpoints_skipped),
	STAT(texts_truncated), STAT(filter_entries_skipped), STAT(ping_requests_ignored),
};

static uint64_t
stat_value(const struct tailnet_stats *s, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)s + stat_fields[i].offset, sizeof(v));
	return v;
}

static void
json_key_value(struct strbuf *b, const char *name, const char *prefix, const uint8_t key[32])
{
	char text[TAILNET_KEY_TEXT_MAX];

	tailnet_key_format(text, sizeof(text), prefix, key);
	strbuf_printf(b, "\"%s\":", name);
	strbuf_json_string(b, text);
}

static void
json_prefixes(struct strbuf *b, const char *name, const struct netprefix *p, size_t n)
{
	char text[NETADDR_TEXT_MAX];

	strbuf_printf(b, "\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		strbuf_puts(b, i > 0 ? "," : "");
		strbuf_json_string(b, netprefix_format(&p[i], text, sizeof(text)));
	}
	strbuf_puts(b, "]");
}

static void
json_node(struct strbuf *b, const struct tailnet_node *n)
{
	char text[NETADDR_TEXT_MAX];

	strbuf_printf(b, "{\"id\":%" PRId64 ",\"name\":", n->id);
	strbuf_json_string(b, n->name);
	strbuf_puts(b, ",\"hostname\":");
	strbuf_json_string(b, n->hostname);
	strbuf_puts(b, ",");
	json_key_value(b, "node_key", "nodekey:", n->node_key);
	strbuf_puts(b, ",");
	json_key_value(b, "disco_key", "discokey:", n->disco_key);
	strbuf_puts(b, ",");
	json_prefixes(b, "addresses", n->addresses, n->address_count);
	strbuf_puts(b, ",");
	json_prefixes(b, "allowed_ips", n->allowed_ips, n->allowed_ip_count);
	strbuf_puts(b, ",\"endpoints\":[");
	for (size_t i = 0; i < n->endpoint_count; i++) {
		strbuf_puts(b, i > 0 ? "," : "");
		strbuf_json_string(b, netendpoint_format(&n->endpoints[i], text, sizeof(text)));
	}
	strbuf_printf(b,
		      "],\"home_derp\":%u,\"online\":%s,\"last_seen\":%" PRId64
		      ",\"key_expiry\":%" PRId64 ",\"expired\":%s,\"cap\":%u,"
		      "\"exit_routes\":%s}",
		      n->home_derp, opt_bool_name(n->online), n->last_seen, n->key_expiry,
		      n->expired ? "true" : "false", n->cap, n->exit_routes ? "true" : "false");
}

static void
json_filter(struct strbuf *b, const struct tailnet_filter *f)
{
	char text[NETADDR_TEXT_MAX];

	strbuf_puts(b, "[");
	for (size_t i = 0; i < f->rule_count; i++) {
		const struct tailnet_filter_rule *r = &f->rules[i];

		strbuf_puts(b, i > 0 ? ",{" : "{");
		json_prefixes(b, "srcs", r->srcs, r->src_count);
		strbuf_puts(b, ",\"src_caps\":[");
		for (size_t j = 0; j < r->src_cap_count; j++) {
			strbuf_puts(b, j > 0 ? "," : "");
			strbuf_json_string(b, r->src_caps[j]);
		}
		strbuf_puts(b, "],\"protos\":[");
		for (size_t j = 0; j < r->proto_count; j++)
			strbuf_printf(b, "%s%u", j > 0 ? "," : "", r->protos[j]);
		strbuf_puts(b, "],\"dsts\":[");
		for (size_t j = 0; j < r->dst_count; j++) {
			strbuf_printf(b, "%s\"%s:%u-%u\"", j > 0 ? "," : "",
				      netprefix_format(&r->dsts[j].net, text, sizeof(text)),
				      r->dsts[j].ports.first, r->dsts[j].ports.last);
		}
		strbuf_puts(b, "],\"caps\":[");
		for (size_t j = 0; j < r->cap_count; j++) {
			strbuf_printf(b, "%s{\"dst\":\"%s\",\"cap\":", j > 0 ? "," : "",
				      netprefix_format(&r->caps[j].dst, text, sizeof(text)));
			strbuf_json_string(b, r->caps[j].cap);
			/* the values are JSON already (jansson wrote them) */
			strbuf_printf(b, ",\"values\":%s}",
				      r->caps[j].values != NULL ? r->caps[j].values : "null");
		}
		strbuf_puts(b, "]}");
	}
	strbuf_puts(b, "]");
}

static void
status_json(const struct tailnet *t, struct strbuf *b)
{
	const struct tailnet_netmap *nm = &t->store.nm;

	strbuf_puts(b, "{\"login_server\":");
	strbuf_json_string(b, t->login_server);
	strbuf_printf(b, ",\"state\":\"%s\",\"phase\":\"%s\",\"reason\":",
		      tailnet_state_name(t->state), phase_name(t->phase));
	strbuf_json_string(b, t->reason);
	strbuf_printf(b, ",\"capability_version\":%u,\"compress\":\"%s\",", t->version,
		      t->zstd ? "zstd" : "");
	json_key_value(b, "machine_key", "mkey:", t->machine_public);
	strbuf_puts(b, ",");
	json_key_value(b, "node_key", "nodekey:", t->node_public);
	strbuf_puts(b, ",");
	json_key_value(b, "disco_key", "discokey:", t->disco_public);
	strbuf_puts(b, ",\"early_payload\":");
	strbuf_puts(b, t->early.has_payload ? "true" : "false");
	strbuf_puts(b, ",\"stats\":{");
	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++)
		strbuf_printf(b, "%s\"%s\":%" PRIu64, i > 0 ? "," : "", stat_fields[i].name,
			      stat_value(&t->stats, i));
	strbuf_printf(b, "},\"netmap\":{\"generation\":%" PRIu64 ",\"self\":", nm->generation);
	if (nm->self_known)
		json_node(b, &nm->self);
	else
		strbuf_puts(b, "null");
	strbuf_puts(b, ",\"peers\":[");
	for (size_t i = 0; i < nm->peer_count; i++) {
		strbuf_puts(b, i > 0 ? "," : "");
		json_node(b, nm->peers[i]);
	}
	strbuf_puts(b, "],\"derp_regions\":[");
	for (size_t i = 0; i < nm->derp.region_count; i++) {
		const struct tailnet_derp_region *r = &nm->derp.regions[i];

		strbuf_printf(b, "%s{\"id\":%u,\"code\":", i > 0 ? "," : "", r->region_id);
		strbuf_json_string(b, r->code);
		strbuf_printf(b, ",\"nodes\":%zu}", r->node_count);
	}
	strbuf_printf(b, "],\"filter_known\":%s,\"filter_rules\":%zu,\"filter\":",
		      nm->filter_known ? "true" : "false", nm->filter.rule_count);
	json_filter(b, &nm->filter);
	strbuf_puts(b, ",\"domain\":");
	strbuf_json_string(b, nm->domain);
	strbuf_puts(b, "}}\n");
}

static void
status_text(const struct tailnet *t, struct strbuf *b)
{
	const struct tailnet_netmap *nm = &t->store.nm;
	char key[TAILNET_KEY_TEXT_MAX], text[NETADDR_TEXT_MAX];

	strbuf_printf(b, "tailnet %s: %s (%s)%s%s\n", t->login_server,
		      tailnet_state_name(t->state), phase_name(t->phase),
		      t->reason[0] != '\0' ? ": " : "", t->reason);
	tailnet_key_format(key, sizeof(key), "mkey:", t->machine_public);
	strbuf_printf(b, "  capability version %u, %s, %s\n", t->version,
		      t->zstd ? "zstd" : "plain JSON", key);
	if (nm->self_known) {
		strbuf_printf(b, "  self %" PRId64 " %s", nm->self.id, nm->self.name);
		for (size_t i = 0; i < nm->self.address_count; i++)
			strbuf_printf(b, " %s",
				      netprefix_format(&nm->self.addresses[i], text, sizeof(text)));
		strbuf_puts(b, "\n");
	}
	strbuf_printf(b, "  netmap generation %" PRIu64 ": %zu peers, %zu DERP regions, %s%zu "
			 "filter rules\n",
		      nm->generation, nm->peer_count, nm->derp.region_count,
		      nm->filter_known ? "" : "no filter yet, ", nm->filter.rule_count);
	for (size_t i = 0; i < nm->peer_count; i++) {
		const struct tailnet_node *n = nm->peers[i];

		tailnet_key_format(key, sizeof(key), "nodekey:", n->node_key);
		strbuf_printf(b, "  peer %" PRId64 " %s %s derp %u online %s%s%s\n", n->id,
			      n->hostname[0] != '\0' ? n->hostname : n->name, key, n->home_derp,
			      opt_bool_name(n->online), n->exit_routes ? " exit-node" : "",
			      n->expired ? " expired" : "");
	}
	strbuf_puts(b, "  counters:");
	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		uint64_t v = stat_value(&t->stats, i);

		if (v != 0)
			strbuf_printf(b, " %s=%" PRIu64, stat_fields[i].name, v);
	}
	strbuf_puts(b, "\n");
}

void
tailnet_status(const struct tailnet *t, struct strbuf *out, bool json)
{
	if (json)
		status_json(t, out);
	else
		status_text(t, out);
}
