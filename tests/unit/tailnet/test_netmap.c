/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The netmap from JSON: real headscale v0.29.2 MapResponses captured in tests/lab/tailnet
 * (vectors/, in the order headscale sent them), the delta rules of controlclient/map.go one by
 * one, the packet filter as wgengine/filter parses it, refusals that leave the netmap untouched,
 * the map stream's framing and zstd, the request builders, keys and state files.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <zstd.h>

#include "keyfile.h"
#include "tailnet_delta.h"
#include "tailnet_json.h"
#include "tailnet_keys.h"
#include "tailnet_mapstream.h"

#ifndef VECTOR_DIR
#error VECTOR_DIR names tests/unit/tailnet/vectors
#endif

static char *
read_vector(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long size;

	snprintf(path, sizeof(path), "%s/%s", VECTOR_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return buf;
}

/* Parse and apply one message; returns the apply result (parse failures fail the test). */
static enum tailnet_apply_result
apply_text(struct tailnet_store *s, const char *text, struct tailnet_netmap_change *c,
	   struct tailnet_parse_counters *counters)
{
	struct tailnet_parse_counters local = {0};
	struct tailnet_delta d;
	char why[TAILNET_WHY_MAX];
	enum tailnet_apply_result r;

	if (tailnet_json_parse_map(text, strlen(text), &d, counters != NULL ? counters : &local,
				   why) < 0) {
		fail_msg("parse: %s: %s", why, text);
	}
	r = tailnet_store_apply(s, &d, 1800000000, c);
	tailnet_delta_free(&d);
	return r;
}

static enum tailnet_apply_result
apply_vector(struct tailnet_store *s, const char *name, struct tailnet_netmap_change *c)
{
	size_t len;
	char *text = read_vector(name, &len);
	enum tailnet_apply_result r = apply_text(s, text, c, NULL);

	free(text);
	return r;
}

/* A message that must be refused whole; the reason must mention want. */
static void
refused(const char *text, const char *want)
{
	struct tailnet_parse_counters counters = {0};
	struct tailnet_delta d;
	char why[TAILNET_WHY_MAX];

	if (tailnet_json_parse_map(text, strlen(text), &d, &counters, why) == 0) {
		tailnet_delta_free(&d);
		fail_msg("accepted: %s", text);
	}
	if (strstr(why, want) == NULL)
		fail_msg("reason \"%s\" does not mention \"%s\"", why, want);
}

static void
key_equals(const uint8_t key[32], const char *prefix, const char *text)
{
	char got[TAILNET_KEY_TEXT_MAX];

	tailnet_key_format(got, sizeof(got), prefix, key);
	assert_string_equal(got, text);
}

static const char *
prefix_text(const struct netprefix *p)
{
	static char buf[4][NETADDR_TEXT_MAX];
	static int next;

	return netprefix_format(p, buf[next++ & 3], NETADDR_TEXT_MAX);
}

static const char *
endpoint_text(const struct netendpoint *e)
{
	static char buf[NETADDR_TEXT_MAX];

	return netendpoint_format(e, buf, sizeof(buf));
}

/* Real headscale: what probe 1 of the lab received, in order. */
static void
test_headscale_session(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;
	const struct tailnet_node *ts, *p2;
	const struct tailnet_netmap *nm = &s.nm;
	const struct tailnet_derp_region *r;
	const struct tailnet_filter_rule *rule;

	(void)state;
	tailnet_store_init(&s, 0);
	assert_int_equal(apply_vector(&s, "headscale_initial.json", &c), TAILNET_APPLY_OK);
	assert_true(c.full_peer_set && c.self_changed && c.derp_changed && c.filter_changed);
	assert_int_equal(c.added_count, 2);
	assert_int_equal(c.added[0], 1);
	assert_int_equal(c.added[1], 3);
	assert_int_equal(nm->generation, 1);
	/* the self node */
	assert_true(nm->self_known);
	assert_int_equal(nm->self.id, 2);
	assert_string_equal(nm->self.name, "probe1.lab.invalid.");
	assert_string_equal(nm->self.hostname, "probe1");
	assert_int_equal(nm->self.address_count, 2);
	assert_string_equal(prefix_text(&nm->self.addresses[0]), "100.64.0.2/32");
	assert_string_equal(prefix_text(&nm->self.addresses[1]), "fd7a:115c:a1e0::2/128");
	assert_int_equal(nm->self.home_derp, 900);
	assert_int_equal(nm->self.cap, 113);
	assert_true(nm->self.machine_authorized);
	assert_false(nm->self.exit_routes); /* not approved yet */
	/* the tailscaled peer, as tailscaled described itself */
	ts = tailnet_netmap_peer(nm, 1);
	assert_non_null(ts);
	assert_string_equal(ts->hostname, "tsclient");
	assert_string_equal(ts->name, "tsclient.lab.invalid.");
	key_equals(ts->node_key, "nodekey:",
		   "nodekey:4ae8d51af38e47f70b971f98ddbb4c68840787e0635199e62e0c795e83175a00");
	key_equals(ts->disco_key, "discokey:",
		   "discokey:58b7ce2ec5fb50fd2ec9bf07d718e4e77351dea4db31b76cbe1ed70ca859656d");
	assert_int_equal(ts->endpoint_count, 1);
	assert_string_equal(endpoint_text(&ts->endpoints[0]), "10.77.0.3:41641");
	assert_int_equal(ts->home_derp, 900);
	assert_int_equal(ts->online, TAILNET_TRUE);
	assert_int_equal(ts->allowed_ip_count, 2);
	assert_false(ts->allowed_ips_from_addresses);
	assert_int_equal(ts->key_expiry, 0);
	assert_ptr_equal(tailnet_netmap_peer_by_key(nm, ts->node_key), ts);
	assert_null(tailnet_netmap_peer(nm, 2));
	/* the DERP map of the lab's derp.yaml */
	assert_true(nm->derp_known);
	assert_int_equal(nm->derp.region_count, 1);
	r = &nm->derp.regions[0];
	assert_int_equal(r->region_id, 900);
	assert_string_equal(r->code, "lab");
	assert_string_equal(r->name, "Lab");
	assert_int_equal(r->node_count, 1);
	assert_string_equal(r->nodes[0].name, "900a");
	assert_string_equal(r->nodes[0].host_name, "10.77.0.1");
	assert_string_equal(r->nodes[0].ipv4, "10.77.0.1");
	assert_string_equal(r->nodes[0].ipv6, "none");
	assert_int_equal(r->nodes[0].stun_port, 3478);
	assert_int_equal(r->nodes[0].derp_port, 8443);
	assert_true(r->nodes[0].insecure_for_tests);
	/* the policy's filter: a grant with an app capability, a user rule, a UDP rule */
	assert_true(nm->filter_known);
	assert_int_equal(nm->filter.rule_count, 3);
	rule = &nm->filter.rules[0];
	/* "100.64.0.1-100.64.0.3" -> 100.64.0.1/32 + 100.64.0.2/31 */
	assert_int_equal(rule->src_count, 4);
	assert_string_equal(prefix_text(&rule->srcs[0]), "100.64.0.1/32");
	assert_string_equal(prefix_text(&rule->srcs[1]), "100.64.0.2/31");
	assert_string_equal(prefix_text(&rule->srcs[2]), "fd7a:115c:a1e0::1/128");
	assert_string_equal(prefix_text(&rule->srcs[3]), "fd7a:115c:a1e0::2/127");
	assert_int_equal(rule->dst_count, 0);
	assert_int_equal(rule->cap_count, 2);
	assert_string_equal(prefix_text(&rule->caps[0].dst), "100.64.0.2/32");
	assert_string_equal(rule->caps[0].cap, "exitgate.example/cap/lab");
	assert_string_equal(rule->caps[0].values, "[{\"level\":2}]");
	assert_int_equal(rule->proto_count, 4);
	rule = &nm->filter.rules[1];
	assert_int_equal(rule->dst_count, 2);
	assert_string_equal(prefix_text(&rule->dsts[0].net), "100.64.0.2/31");
	assert_int_equal(rule->dsts[0].ports.first, 0);
	assert_int_equal(rule->dsts[0].ports.last, 65535);
	assert_int_equal(rule->proto_count, 4);
	assert_int_equal(rule->protos[0], 6);
	assert_int_equal(rule->protos[1], 17);
	assert_int_equal(rule->protos[2], 1);
	assert_int_equal(rule->protos[3], 58);
	rule = &nm->filter.rules[2];
	assert_string_equal(prefix_text(&rule->srcs[0]), "10.79.0.0/24");
	assert_int_equal(rule->proto_count, 1);
	assert_int_equal(rule->protos[0], 17);
	assert_int_equal(rule->dsts[0].ports.first, 53);
	assert_int_equal(rule->dsts[0].ports.last, 53);
	assert_string_equal(nm->domain, "10.77.0.1");

	/* a message of nothing but ControlTime changes nothing */
	assert_int_equal(apply_vector(&s, "headscale_control_time.json", &c),
			 TAILNET_APPLY_UNCHANGED);
	assert_int_equal(nm->generation, 1);
	/* PeersChanged for probe 2 */
	assert_int_equal(apply_vector(&s, "headscale_peers_changed.json", &c), TAILNET_APPLY_OK);
	p2 = tailnet_netmap_peer(nm, 3);
	assert_non_null(p2);
	assert_string_equal(p2->hostname, "probe2");
	assert_string_equal(endpoint_text(&p2->endpoints[0]), "10.77.0.2:41642");
	/* PeersChangedPatch: Online only */
	/* headscale's PeersChanged already said Online: the patch is no change */
	assert_int_equal(apply_vector(&s, "headscale_patch_online.json", &c),
			 TAILNET_APPLY_UNCHANGED);
	assert_int_equal(tailnet_netmap_peer(nm, 3)->online, TAILNET_TRUE);
	/* the exit routes approved: the filter now lets the tailnet out to the internet */
	assert_int_equal(apply_vector(&s, "headscale_exit_filter.json", &c), TAILNET_APPLY_OK);
	assert_true(c.filter_changed);
	rule = &nm->filter.rules[1];
	assert_true(rule->dst_count > 40);
	assert_string_equal(prefix_text(&rule->dsts[rule->dst_count - 1].net), "2000::/3");
	/* the tailscaled node deleted on the server */
	assert_int_equal(apply_vector(&s, "headscale_peers_removed.json", &c), TAILNET_APPLY_OK);
	assert_int_equal(c.removed_count, 1);
	assert_int_equal(c.removed[0], 1);
	assert_null(tailnet_netmap_peer(nm, 1));
	assert_int_equal(nm->peer_count, 1);
	assert_int_equal(nm->peers[0]->id, 3);
	tailnet_store_free(&s);
}

/* Real headscale: what probe 2 saw of probe 1 (exit node, lite updates). */
static void
test_headscale_exit_node_peer(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;
	const struct tailnet_node *p1;
	uint8_t disco_before[32];

	(void)state;
	tailnet_store_init(&s, 0);
	assert_int_equal(apply_vector(&s, "headscale_exit_node_peer.json", &c), TAILNET_APPLY_OK);
	p1 = tailnet_netmap_peer(&s.nm, 2);
	assert_non_null(p1);
	assert_true(p1->exit_routes);
	assert_int_equal(p1->allowed_ip_count, 4);
	assert_false(tailnet_netmap_peer(&s.nm, 1)->exit_routes);
	memcpy(disco_before, p1->disco_key, 32);
	/* the lite update of endpoints */
	assert_int_equal(apply_vector(&s, "headscale_lite_endpoints.json", &c), TAILNET_APPLY_OK);
	assert_int_equal(c.changed_count, 1);
	assert_int_equal(c.changed[0], 2);
	p1 = tailnet_netmap_peer(&s.nm, 2);
	assert_int_equal(p1->endpoint_count, 2);
	assert_string_equal(endpoint_text(&p1->endpoints[1]), "192.0.2.77:3478");
	/* the lite update of the disco key */
	assert_int_equal(apply_vector(&s, "headscale_lite_disco.json", &c), TAILNET_APPLY_OK);
	p1 = tailnet_netmap_peer(&s.nm, 2);
	assert_memory_not_equal(p1->disco_key, disco_before, 32);
	key_equals(p1->disco_key, "discokey:",
		   "discokey:ecd97563bf16472a960d9315d7897c1e378904f5cb3b3f52e4a746576e048234");
	tailnet_store_free(&s);
}

/* a string literal and its length */
#define LIT(s) s, sizeof(s) - 1

/* headscale expiring a node: its peers get it as PeersChanged with Expired, then a KeyExpiry
 * patch; the node itself gets its Node expired */
static void
test_headscale_expiry(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;
	const struct tailnet_node *n;

	(void)state;
	tailnet_store_init(&s, 0);
	assert_int_equal(apply_vector(&s, "headscale_peer_expired.json", &c), TAILNET_APPLY_OK);
	n = tailnet_netmap_peer(&s.nm, 2);
	assert_non_null(n);
	assert_true(n->expired);
	assert_int_equal(n->key_expiry, 1796422916);
	assert_true(tailnet_node_expired(n, 0));
	assert_int_equal(apply_vector(&s, "headscale_patch_key_expiry.json", &c),
			 TAILNET_APPLY_UNCHANGED);
	assert_int_equal(apply_vector(&s, "headscale_self_expired.json", &c), TAILNET_APPLY_OK);
	assert_true(c.self_changed);
	assert_true(s.nm.self.expired);
	assert_true(tailnet_node_expired(&s.nm.self, 1796422916));
	tailnet_store_free(&s);
}

#define KEY(n) "nodekey:" n "000000000000000000000000000000000000000000000000000000000000000"
#define NODE(id, n) "{\"ID\":" #id ",\"Key\":\"" KEY(n) "\",\"Addresses\":[\"100.64.0." #id "/32\"]}"

static void
test_delta_rules(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;
	const struct tailnet_node *n;

	(void)state;
	tailnet_store_init(&s, 0);
	assert_int_equal(apply_text(&s, "{\"Peers\":[" NODE(1, "1") "," NODE(2, "2") "," NODE(3, "3")
				    "]}", &c, NULL), TAILNET_APPLY_OK);
	assert_int_equal(s.nm.peer_count, 3);
	/* nil AllowedIPs: the same as Addresses (capability version 112) */
	n = tailnet_netmap_peer(&s.nm, 1);
	assert_true(n->allowed_ips_from_addresses);
	assert_int_equal(n->allowed_ip_count, 1);
	assert_string_equal(prefix_text(&n->allowed_ips[0]), "100.64.0.1/32");
	/* Peers replaces the set and overrides the deltas of the same message */
	assert_int_equal(apply_text(&s, "{\"Peers\":[" NODE(2, "2") "," NODE(4, "4")
				    "],\"PeersRemoved\":[2],\"OnlineChange\":{\"4\":true}}", &c,
				    NULL), TAILNET_APPLY_OK);
	assert_true(c.full_peer_set);
	assert_int_equal(s.nm.peer_count, 2);
	assert_non_null(tailnet_netmap_peer(&s.nm, 2));
	assert_int_equal(tailnet_netmap_peer(&s.nm, 4)->online, TAILNET_UNKNOWN);
	assert_int_equal(c.added_count, 1);
	assert_int_equal(c.added[0], 4);
	assert_int_equal(c.removed_count, 2);
	assert_int_equal(c.removed[0], 1);
	assert_int_equal(c.removed[1], 3);
	assert_int_equal(c.changed_count, 0); /* node 2 said the same again */
	/* an empty Peers is not a full set (Go looks at len > 0) */
	assert_int_equal(apply_text(&s, "{\"Peers\":[],\"PeersRemoved\":[4]}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_false(c.full_peer_set);
	assert_int_equal(s.nm.peer_count, 1);
	/* PeersRemoved comes before PeersChanged: a node removed and changed stays */
	assert_int_equal(apply_text(&s, "{\"PeersRemoved\":[2,9],\"PeersChanged\":[" NODE(2, "5")
				    "]}", &c, NULL), TAILNET_APPLY_OK);
	n = tailnet_netmap_peer(&s.nm, 2);
	assert_non_null(n);
	key_equals(n->node_key, "nodekey:", KEY("5"));
	assert_int_equal(c.changed_count, 1);
	assert_int_equal(c.removed_count, 0);
	/* two entries for one ID: the last wins */
	assert_int_equal(apply_text(&s, "{\"PeersChanged\":[" NODE(6, "6") "," NODE(6, "7") "]}",
				    &c, NULL), TAILNET_APPLY_OK);
	key_equals(tailnet_netmap_peer(&s.nm, 6)->node_key, "nodekey:", KEY("7"));
	/* PeerSeenChange and OnlineChange; unknown IDs are ignored */
	assert_int_equal(apply_text(&s, "{\"PeerSeenChange\":{\"2\":true,\"77\":true},"
				    "\"OnlineChange\":{\"6\":false,\"78\":true}}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_int_equal(tailnet_netmap_peer(&s.nm, 2)->last_seen, 1800000000);
	assert_int_equal(tailnet_netmap_peer(&s.nm, 6)->online, TAILNET_FALSE);
	assert_int_equal(s.nm.peer_count, 2);
	assert_int_equal(apply_text(&s, "{\"PeerSeenChange\":{\"2\":false}}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_int_equal(tailnet_netmap_peer(&s.nm, 2)->last_seen, 0);
	/* the patch changes only what it carries; DERPRegion 0 is no change */
	assert_int_equal(apply_text(&s, "{\"PeersChanged\":[{\"ID\":8,\"Key\":\"" KEY("8")
				    "\",\"HomeDERP\":900,\"DiscoKey\":\"discokey:"
				    "1111111111111111111111111111111111111111111111111111111111111111"
				    "\",\"Endpoints\":[\"10.0.0.8:41641\"],\"Cap\":120}]}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_int_equal(apply_text(&s, "{\"PeersChangedPatch\":[{\"NodeID\":8,\"DERPRegion\":0,"
				    "\"Endpoints\":[\"10.0.0.9:41641\",\"[fd00::9]:41641\"],"
				    "\"Online\":true,\"KeyExpiry\":\"2030-01-02T03:04:05Z\"},"
				    "{\"NodeID\":99,\"Online\":true}]}", &c, NULL), TAILNET_APPLY_OK);
	n = tailnet_netmap_peer(&s.nm, 8);
	assert_int_equal(n->home_derp, 900);
	assert_int_equal(n->cap, 120);
	assert_int_equal(n->endpoint_count, 2);
	assert_string_equal(endpoint_text(&n->endpoints[1]), "[fd00::9]:41641");
	assert_int_equal(n->online, TAILNET_TRUE);
	assert_int_equal(n->key_expiry, 1893553445);
	assert_true(tailnet_node_expired(n, 1893553445));
	assert_false(tailnet_node_expired(n, 1893553444));
	key_equals(n->disco_key, "discokey:",
		   "discokey:1111111111111111111111111111111111111111111111111111111111111111");
	assert_null(tailnet_netmap_peer(&s.nm, 99));
	/* a patch with an empty endpoint list empties it; a new key and disco key */
	assert_int_equal(apply_text(&s, "{\"PeersChangedPatch\":[{\"NodeID\":8,\"Endpoints\":[],"
				    "\"DERPRegion\":901,\"Key\":\"" KEY("9") "\",\"DiscoKey\":"
				    "\"discokey:2222222222222222222222222222222222222222222222222222222222222222\"}]}",
				    &c, NULL), TAILNET_APPLY_OK);
	n = tailnet_netmap_peer(&s.nm, 8);
	assert_int_equal(n->endpoint_count, 0);
	assert_int_equal(n->home_derp, 901);
	key_equals(n->node_key, "nodekey:", KEY("9"));
	/* the legacy DERP string when HomeDERP is absent; [] AllowedIPs means none */
	assert_int_equal(apply_text(&s, "{\"PeersChanged\":[{\"ID\":10,\"Key\":\"" KEY("a")
				    "\",\"DERP\":\"127.3.3.40:905\",\"Addresses\":[\"100.64.0.10/32\"],"
				    "\"AllowedIPs\":[]}]}", &c, NULL), TAILNET_APPLY_OK);
	n = tailnet_netmap_peer(&s.nm, 10);
	assert_int_equal(n->home_derp, 905);
	assert_int_equal(n->allowed_ip_count, 0);
	assert_false(n->allowed_ips_from_addresses);
	/* a keepalive is nothing to apply */
	assert_int_equal(apply_text(&s, "{\"KeepAlive\":true}", &c, NULL), TAILNET_APPLY_KEEPALIVE);
	/* Node absent: the self node stays; present: replaced */
	assert_int_equal(apply_text(&s, "{\"Node\":" NODE(50, "e") "}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_true(c.self_changed);
	assert_int_equal(apply_text(&s, "{\"Domain\":\"x\"}", &c, NULL), TAILNET_APPLY_UNCHANGED);
	assert_int_equal(s.nm.self.id, 50);
	assert_string_equal(s.nm.domain, "x");
	tailnet_store_free(&s);
}

static void
test_derp_map_rules(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;

	(void)state;
	tailnet_store_init(&s, 0);
	assert_int_equal(apply_text(&s, "{\"DERPMap\":{\"Regions\":{\"902\":{\"RegionID\":902,"
				    "\"RegionCode\":\"b\",\"Nodes\":[{\"Name\":\"b1\",\"HostName\":"
				    "\"derp.b\",\"STUNPort\":-1}]},\"901\":{\"RegionCode\":\"a\","
				    "\"Nodes\":[]},\"903\":null},\"HomeParams\":{\"RegionScore\":"
				    "{\"901\":0.5}}}}", &c, NULL), TAILNET_APPLY_OK);
	/* sorted by ID; the null region dropped */
	assert_int_equal(s.nm.derp.region_count, 2);
	assert_int_equal(s.nm.derp.regions[0].region_id, 901);
	assert_int_equal(s.nm.derp.regions[1].region_id, 902);
	assert_int_equal(s.nm.derp.regions[1].nodes[0].stun_port, -1);
	assert_int_equal(s.nm.derp.region_score_count, 1);
	/* no Regions: the old regions stay; HomeParams without RegionScore keeps the scores */
	assert_int_equal(apply_text(&s, "{\"DERPMap\":{\"HomeParams\":{}}}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_int_equal(s.nm.derp.region_count, 2);
	assert_int_equal(s.nm.derp.region_score_count, 1);
	assert_true(s.nm.derp.region_scores[0].score == 0.5);
	/* Regions given: they replace the old ones */
	assert_int_equal(apply_text(&s, "{\"DERPMap\":{\"Regions\":{\"904\":{\"RegionCode\":\"d\","
				    "\"Nodes\":[]}}}}", &c, NULL), TAILNET_APPLY_OK);
	assert_int_equal(s.nm.derp.region_count, 1);
	assert_int_equal(s.nm.derp.regions[0].region_id, 904);
	tailnet_store_free(&s);
}

#define ALLOW(src) "[{\"SrcIPs\":[\"" src "\"],\"DstPorts\":[{\"IP\":\"*\",\"Ports\":{\"First\":0,\"Last\":65535}}]}]"

static const char *
first_src(const struct tailnet_store *s, size_t rule)
{
	return prefix_text(&s->nm.filter.rules[rule].srcs[0]);
}

static void
test_filter_chunks(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;

	(void)state;
	tailnet_store_init(&s, 0);
	assert_false(s.nm.filter_known);
	/* PacketFilter is the chunk "base"; chunks concatenate in name order */
	assert_int_equal(apply_text(&s, "{\"PacketFilter\":" ALLOW("10.0.0.1") ",\"PacketFilters\":"
				    "{\"zz\":" ALLOW("10.0.0.3") ",\"aa\":" ALLOW("10.0.0.2") "}}", &c,
				    NULL), TAILNET_APPLY_OK);
	assert_true(s.nm.filter_known);
	assert_int_equal(s.nm.filter.rule_count, 3);
	assert_string_equal(first_src(&s, 0), "10.0.0.2/32");
	assert_string_equal(first_src(&s, 1), "10.0.0.1/32");
	assert_string_equal(first_src(&s, 2), "10.0.0.3/32");
	/* null deletes one chunk; a new value replaces one */
	assert_int_equal(apply_text(&s, "{\"PacketFilters\":{\"aa\":null,\"zz\":" ALLOW("10.0.0.4")
				    "}}", &c, NULL), TAILNET_APPLY_OK);
	assert_int_equal(s.nm.filter.rule_count, 2);
	assert_string_equal(first_src(&s, 0), "10.0.0.1/32");
	assert_string_equal(first_src(&s, 1), "10.0.0.4/32");
	/* "*": null clears every chunk first, this message's PacketFilter too */
	assert_int_equal(apply_text(&s, "{\"PacketFilter\":" ALLOW("10.0.0.5") ",\"PacketFilters\":"
				    "{\"*\":null,\"mm\":" ALLOW("10.0.0.6") "}}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_int_equal(s.nm.filter.rule_count, 1);
	assert_string_equal(first_src(&s, 0), "10.0.0.6/32");
	/* an empty list is a filter that allows nothing (not "no filter") */
	assert_int_equal(apply_text(&s, "{\"PacketFilters\":{\"*\":null,\"base\":[]}}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_true(s.nm.filter_known);
	assert_int_equal(s.nm.filter.rule_count, 0);
	tailnet_store_free(&s);
}

static void
test_filter_entries(void **state)
{
	struct tailnet_parse_counters counters = {0};
	struct tailnet_filter_rule *rules;
	size_t count;
	char why[TAILNET_WHY_MAX];
	static const char text[] =
		"[{\"SrcIPs\":[\"*\",\"10.0.0.1-10.0.0.6\",\"cap:example.com/cap/x\",\"bogus\","
		"\"10.0.0.1/24\",\"10.0.0.9-10.0.0.1\",\"10.0.0.1-fd00::1\",\"fd00::/120\"],"
		"\"DstPorts\":[{\"IP\":\"0.0.0.0-255.255.255.255\",\"Ports\":{\"First\":22,\"Last\":22}},"
		"{\"IP\":\"cap:no\",\"Ports\":{\"First\":1,\"Last\":2}},"
		"{\"IP\":\"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\",\"Ports\":{\"First\":1,\"Last\":9}}],"
		"\"IPProto\":[6,300,-1,132],"
		"\"CapGrant\":[{\"Dsts\":[\"100.64.0.1/32\"],\"Caps\":[\"legacy-cap\"],"
		"\"CapMap\":{\"cap-a\":[1,\"two\"],\"cap-b\":null}}]}]";

	(void)state;
	assert_int_equal(tailnet_json_parse_filter(text, strlen(text), &rules, &count, &counters,
						   why), 0);
	assert_int_equal(count, 1);
	/* "*" -> 0.0.0.0/0 and ::/0; the range -> 4 prefixes; bad ones skipped */
	assert_int_equal(rules[0].src_count, 2 + 4 + 1);
	assert_string_equal(prefix_text(&rules[0].srcs[0]), "0.0.0.0/0");
	assert_string_equal(prefix_text(&rules[0].srcs[1]), "::/0");
	assert_string_equal(prefix_text(&rules[0].srcs[2]), "10.0.0.1/32");
	assert_string_equal(prefix_text(&rules[0].srcs[3]), "10.0.0.2/31");
	assert_string_equal(prefix_text(&rules[0].srcs[4]), "10.0.0.4/31");
	assert_string_equal(prefix_text(&rules[0].srcs[5]), "10.0.0.6/32");
	assert_string_equal(prefix_text(&rules[0].srcs[6]), "fd00::/120");
	assert_int_equal(rules[0].src_cap_count, 1);
	assert_string_equal(rules[0].src_caps[0], "example.com/cap/x");
	/* whole address spaces collapse to one prefix; a cap destination is skipped */
	assert_int_equal(rules[0].dst_count, 2);
	assert_string_equal(prefix_text(&rules[0].dsts[0].net), "0.0.0.0/0");
	assert_int_equal(rules[0].dsts[0].ports.first, 22);
	assert_string_equal(prefix_text(&rules[0].dsts[1].net), "::/0");
	/* protocols outside 0..255 dropped */
	assert_int_equal(rules[0].proto_count, 2);
	assert_int_equal(rules[0].protos[1], 132);
	/* one cap per (destination, capability) */
	assert_int_equal(rules[0].cap_count, 3);
	assert_string_equal(rules[0].caps[0].cap, "legacy-cap");
	assert_null(rules[0].caps[0].values);
	assert_string_equal(rules[0].caps[1].cap, "cap-a");
	assert_string_equal(rules[0].caps[1].values, "[1,\"two\"]");
	assert_string_equal(rules[0].caps[2].values, "null");
	/* bogus, 10.0.0.1/24 (host bits), the reversed range, the mixed range, cap:no, 300, -1 */
	assert_int_equal(counters.filter_entries_skipped, 7);
	tailnet_filter_rules_free(rules, count);
	/* refused whole */
	assert_int_equal(tailnet_json_parse_filter(LIT("[{\"SrcIPs\":[\"1.2.3.4\"],\"SrcBits\":[32]}]"),
						   &rules, &count, &counters, why), -1);
	assert_non_null(strstr(why, "SrcBits"));
	assert_int_equal(tailnet_json_parse_filter(LIT("[{\"DstPorts\":[{\"IP\":\"*\",\"Bits\":8}]}]"),
						   &rules, &count, &counters, why), -1);
	assert_int_equal(tailnet_json_parse_filter(LIT("{}"), &rules, &count, &counters, why), -1);
	assert_int_equal(tailnet_json_parse_filter(
				 LIT("[{\"CapGrant\":[{\"Dsts\":[\"nonsense\"]}]}]"), &rules, &count,
				 &counters, why), -1);
}

/* Refused messages leave the store as it was. */
static void
test_refusals(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;
	struct tailnet_parse_counters counters = {0};
	struct tailnet_delta d;
	char why[TAILNET_WHY_MAX], big[4096];
	size_t used;

	(void)state;
	refused("not json", "not JSON");
	refused("[]", "not an object");
	refused("{\"Peers\":{}}", "not a list");
	refused("{\"Peers\":[7]}", "not an object");
	refused("{\"Peers\":[{\"Key\":\"" KEY("1") "\"}]}", "no ID");
	refused("{\"Peers\":[{\"ID\":0,\"Key\":\"" KEY("1") "\"}]}", "out of range");
	refused("{\"Peers\":[{\"ID\":1}]}", "no Key");
	refused("{\"Peers\":[{\"ID\":1,\"Key\":\"nodekey:12\"}]}", "Peers[0].Key");
	refused("{\"Peers\":[{\"ID\":1,\"Key\":\"mkey:"
		"1000000000000000000000000000000000000000000000000000000000000000\"}]}", "Key");
	refused("{\"Peers\":[{\"ID\":1,\"Key\":\"" KEY("1") "\",\"Addresses\":[\"300.1.1.1/32\"]}]}",
		"Addresses[0]");
	refused("{\"Peers\":[{\"ID\":1,\"Key\":\"" KEY("1") "\",\"Endpoints\":[\"1.2.3.4\"]}]}",
		"Endpoints");
	refused("{\"Peers\":[{\"ID\":1,\"Key\":\"" KEY("1") "\",\"KeyExpiry\":\"yesterday\"}]}",
		"KeyExpiry");
	refused("{\"Peers\":[{\"ID\":1,\"Key\":\"" KEY("1") "\",\"Online\":\"yes\"}]}", "Online");
	refused("{\"Peers\":[{\"ID\":1,\"Key\":\"" KEY("1") "\",\"Cap\":70000}]}", "Cap");
	refused("{\"Peers\":[{\"ID\":1.5,\"Key\":\"" KEY("1") "\"}]}", "ID");
	refused("{\"Node\":{\"ID\":1,\"Key\":\"" KEY("1") "\",\"Hostinfo\":[]}}", "Hostinfo");
	refused("{\"PeersRemoved\":[\"1\"]}", "PeersRemoved[0]");
	refused("{\"OnlineChange\":{\"x\":true}}", "not a node ID");
	refused("{\"OnlineChange\":{\"1\":1}}", "OnlineChange");
	refused("{\"PeersChangedPatch\":[{\"Online\":true}]}", "no NodeID");
	refused("{\"DERPMap\":{\"Regions\":{\"abc\":{}}}}", "not a region ID");
	refused("{\"DERPMap\":{\"Regions\":{\"900\":{\"RegionID\":901}}}}", "differs");
	refused("{\"DERPMap\":{\"Regions\":{\"900\":{\"Nodes\":[null]}}}}", "null");
	refused("{\"PacketFilter\":{}}", "not a list");
	refused("{\"PacketFilters\":[]}", "not an object");
	refused("{\"Domain\":7}", "Domain");
	/* a node over its address limit */
	used = (size_t)snprintf(big, sizeof(big), "{\"Peers\":[{\"ID\":1,\"Key\":\"%s\","
				"\"Addresses\":[", KEY("1"));
	for (int i = 0; i <= TAILNET_NODE_ADDRESSES_MAX; i++)
		used += (size_t)snprintf(big + used, sizeof(big) - used, "%s\"10.0.0.%d/32\"",
					 i > 0 ? "," : "", i);
	snprintf(big + used, sizeof(big) - used, "]}]}");
	refused(big, "more than");

	/* the store: over the peer cap, nothing changes */
	tailnet_store_init(&s, 2);
	assert_int_equal(apply_text(&s, "{\"Peers\":[" NODE(1, "1") "," NODE(2, "2") "]}", &c, NULL),
			 TAILNET_APPLY_OK);
	assert_int_equal(tailnet_json_parse_map(LIT("{\"PeersChanged\":[" NODE(3, "3") "]}"),
						&d, &counters, why), 0);
	assert_int_equal(tailnet_store_apply(&s, &d, 0, &c), TAILNET_APPLY_TOO_MANY_PEERS);
	tailnet_delta_free(&d);
	assert_int_equal(s.nm.peer_count, 2);
	assert_int_equal(s.nm.generation, 1);
	assert_null(tailnet_netmap_peer(&s.nm, 3));
	/* a removal and an addition in one message fit */
	assert_int_equal(apply_text(&s, "{\"PeersRemoved\":[1],\"PeersChanged\":[" NODE(3, "3") "]}",
				    &c, NULL), TAILNET_APPLY_OK);
	assert_int_equal(s.nm.peer_count, 2);
	tailnet_store_free(&s);
}

static void
test_skipped_and_truncated(void **state)
{
	struct tailnet_store s;
	struct tailnet_netmap_change c;
	struct tailnet_parse_counters counters = {0};
	char text[8192], name[400];
	size_t used;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	used = (size_t)snprintf(text, sizeof(text),
				"{\"Peers\":[{\"ID\":1,\"Key\":\"%s\",\"Name\":\"%s\",\"Endpoints\":"
				"[\"[fe80::1%%eth0]:41641\"",
				KEY("1"), name);
	for (int i = 0; i < TAILNET_NODE_ENDPOINTS_MAX + 3; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, ",\"10.0.%d.%d:1\"",
					 i / 250, i % 250);
	snprintf(text + used, sizeof(text) - used, "],\"PingRequest\":null}],"
		 "\"PingRequest\":{\"URL\":\"https://x\"}}");
	tailnet_store_init(&s, 0);
	assert_int_equal(apply_text(&s, text, &c, &counters), TAILNET_APPLY_OK);
	assert_int_equal(s.nm.peers[0]->endpoint_count, TAILNET_NODE_ENDPOINTS_MAX);
	assert_int_equal(counters.endpoints_skipped, 1 + 3);
	assert_int_equal(strlen(s.nm.peers[0]->name), TAILNET_NAME_MAX);
	assert_int_equal(counters.texts_truncated, 1);
	assert_int_equal(counters.ping_requests_ignored, 1);
	tailnet_store_free(&s);
}

static void
test_times(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(tailnet_json_parse_time("1970-01-01T00:00:01Z", &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(tailnet_json_parse_time("2026-12-04T21:51:19.859001574Z", &t), 0);
	assert_int_equal(t, 1796421079);
	assert_int_equal(tailnet_json_parse_time("2026-12-04T23:51:19+02:00", &t), 0);
	assert_int_equal(t, 1796421079);
	assert_int_equal(tailnet_json_parse_time("2024-02-29T00:00:00-00:30", &t), 0);
	assert_int_equal(t, 1709166600);
	assert_int_equal(tailnet_json_parse_time("0001-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(tailnet_json_parse_time("2023-02-29T00:00:00Z", &t), -1);
	assert_int_equal(tailnet_json_parse_time("2026-12-04 21:51:19Z", &t), -1);
	assert_int_equal(tailnet_json_parse_time("2026-12-04T21:51:19", &t), -1);
	assert_int_equal(tailnet_json_parse_time("2026-12-04T21:51:19.Z", &t), -1);
	assert_int_equal(tailnet_json_parse_time("2026-12-04T24:00:00Z", &t), -1);
	assert_int_equal(tailnet_json_parse_time("2026-12-04T21:51:19Zjunk", &t), -1);
}

static void
test_register_and_key(void **state)
{
	struct tailnet_register_result r;
	char why[TAILNET_WHY_MAX];
	uint8_t key[32];
	static const char json_key[] =
		"{\"legacyPublicKey\":\"mkey:0000000000000000000000000000000000000000000000000000000000000000\","
		"\"publicKey\":\"mkey:e5fd7c3b4a6f6e8fd1d6c9eb4de2f8ea9a7c7a76ed8d3b5e6b5bb0f3a1c4e9d2\"}";

	(void)state;
	assert_int_equal(tailnet_json_parse_register(
				 LIT("{\"User\":{\"ID\":1,\"LoginName\":\"lab\"},\"Login\":{},"
				     "\"NodeKeyExpired\":false,\"MachineAuthorized\":true,"
				     "\"AuthURL\":\"\"}"),
				 &r, why), 0);
	assert_true(r.machine_authorized);
	assert_string_equal(r.login_name, "lab");
	assert_int_equal(tailnet_json_parse_register(LIT("{\"Error\":\"invalid pre auth key\"}"),
						     &r, why), 0);
	assert_string_equal(r.error, "invalid pre auth key");
	assert_false(r.machine_authorized);
	assert_int_equal(tailnet_json_parse_register(LIT("[]"), &r, why), -1);
	assert_int_equal(tailnet_json_parse_server_key((const uint8_t *)json_key,
						       sizeof(json_key) - 1, key, why), 0);
	assert_int_equal(key[0], 0xe5);
	/* an old server's bare hex key */
	assert_int_equal(tailnet_json_parse_server_key(
				 (const uint8_t *)"e5fd7c3b4a6f6e8fd1d6c9eb4de2f8ea9a7c7a76ed8d3b5e6b5bb0f3a1c4e9d2\n",
				 65, key, why), 0);
	assert_int_equal(key[31], 0xd2);
	assert_int_equal(tailnet_json_parse_server_key((const uint8_t *)"<html>", 6, key, why), -1);
	assert_int_equal(tailnet_json_parse_server_key(
				 (const uint8_t *)"{\"publicKey\":\"mkey:0000000000000000000000000000000000000000000000000000000000000000\"}",
				 83, key, why), -1);
}

static void
test_requests(void **state)
{
	uint8_t node[32], disco[32];
	struct netendpoint eps[2];
	uint8_t types[2] = {1, 2};
	const char *reason;
	struct tailnet_derp_latency lat = {900, false, 0.0125};
	struct tailnet_netinfo ni = {.preferred_derp = 900, .working_udp = TAILNET_TRUE,
				     .mapping_varies_by_dest_ip = TAILNET_FALSE,
				     .derp_latency = &lat, .derp_latency_count = 1};
	struct tailnet_request_info info = {.version = 113, .node_public = node,
					    .disco_public = disco, .hostname = "exit1",
					    .ipn_version = "exitgate-test", .advertise_exit_node = true,
					    .zstd = true, .netinfo = &ni, .endpoints = eps,
					    .endpoint_types = types, .endpoint_count = 2};
	json_t *o;
	char *text;

	(void)state;
	memset(node, 0x11, 32);
	memset(disco, 0x22, 32);
	memset(eps, 0, sizeof(eps));
	assert_int_equal(netendpoint_parse("10.77.0.2:41641", &eps[0], &reason), 0);
	assert_int_equal(netendpoint_parse("[2001:db8::2]:41641", &eps[1], &reason), 0);
	text = tailnet_json_register_request(&info, "hskey-auth-x");
	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "Version")), 113);
	assert_string_equal(json_string_value(json_object_get(o, "NodeKey")),
			    "nodekey:1111111111111111111111111111111111111111111111111111111111111111");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "Auth"),
							     "AuthKey")), "hskey-auth-x");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
				    json_object_get(o, "Hostinfo"), "RoutableIPs"), 1)), "::/0");
	json_decref(o);
	free(text);
	text = tailnet_json_register_request(&info, NULL);
	o = json_loads(text, 0, NULL);
	assert_null(json_object_get(o, "Auth"));
	json_decref(o);
	free(text);
	/* the streaming poll */
	text = tailnet_json_map_request(&info, true);
	o = json_loads(text, 0, NULL);
	assert_true(json_is_true(json_object_get(o, "Stream")));
	assert_true(json_is_true(json_object_get(o, "KeepAlive")));
	assert_string_equal(json_string_value(json_object_get(o, "Compress")), "zstd");
	assert_null(json_object_get(o, "OmitPeers"));
	assert_string_equal(json_string_value(json_object_get(o, "DiscoKey")),
			    "discokey:2222222222222222222222222222222222222222222222222222222222222222");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "Endpoints"), 1)),
			    "[2001:db8::2]:41641");
	/* EndpointType as integers */
	assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "EndpointTypes"), 1)),
			 2);
	{
		json_t *ni_json = json_object_get(json_object_get(o, "Hostinfo"), "NetInfo");

		assert_int_equal(json_integer_value(json_object_get(ni_json, "PreferredDERP")), 900);
		assert_true(json_is_true(json_object_get(ni_json, "WorkingUDP")));
		assert_true(json_is_false(json_object_get(ni_json, "MappingVariesByDestIP")));
		assert_null(json_object_get(ni_json, "UPnP")); /* unknown: left out */
		assert_true(json_real_value(json_object_get(json_object_get(ni_json, "DERPLatency"),
							    "900-v4")) == 0.0125);
	}
	json_decref(o);
	free(text);
	/* the lite update */
	text = tailnet_json_map_request(&info, false);
	o = json_loads(text, 0, NULL);
	assert_true(json_is_false(json_object_get(o, "Stream")));
	assert_true(json_is_true(json_object_get(o, "OmitPeers")));
	assert_null(json_object_get(o, "Compress"));
	json_decref(o);
	free(text);
	/* no disco key yet: left out */
	memset(disco, 0, 32);
	text = tailnet_json_map_request(&info, true);
	assert_null(strstr(text, "DiscoKey"));
	free(text);
}

static size_t
frame(uint8_t *out, const void *payload, uint32_t len)
{
	out[0] = (uint8_t)len;
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 24);
	memcpy(out + 4, payload, len);
	return 4 + len;
}

static void
test_mapstream(void **state)
{
	static const char a[] = "{\"KeepAlive\":true}", b[] = "{\"Domain\":\"x\"}";
	struct tailnet_mapstream m;
	uint8_t wire[256], z[256];
	size_t wire_len, z_len;
	const uint8_t *p;
	const char *json;
	size_t n, json_len;
	int got;

	(void)state;
	/* raw JSON, split at every byte */
	wire_len = frame(wire, a, sizeof(a) - 1);
	wire_len += frame(wire + wire_len, b, sizeof(b) - 1);
	for (size_t piece = 1; piece <= wire_len; piece++) {
		tailnet_mapstream_init(&m, false);
		got = 0;
		for (size_t at = 0; at < wire_len; at += piece) {
			p = wire + at;
			n = wire_len - at < piece ? wire_len - at : piece;
			while (n > 0) {
				enum tailnet_mapstream_result r =
					tailnet_mapstream_next(&m, &p, &n, &json, &json_len);

				if (r == TAILNET_MAPSTREAM_MORE)
					break;
				assert_int_equal(r, TAILNET_MAPSTREAM_MESSAGE);
				assert_string_equal(json, got == 0 ? a : b);
				got++;
			}
		}
		assert_int_equal(got, 2);
		tailnet_mapstream_free(&m);
	}
	/* zstd: one frame with its content size */
	z_len = ZSTD_compress(z, sizeof(z), b, sizeof(b) - 1, 3);
	assert_false(ZSTD_isError(z_len));
	tailnet_mapstream_init(&m, true);
	wire_len = frame(wire, z, (uint32_t)z_len);
	p = wire;
	n = wire_len;
	assert_int_equal(tailnet_mapstream_next(&m, &p, &n, &json, &json_len),
			 TAILNET_MAPSTREAM_MESSAGE);
	assert_string_equal(json, b);
	tailnet_mapstream_free(&m);
	/* two frames in one message */
	memcpy(z + z_len, z, z_len);
	tailnet_mapstream_init(&m, true);
	wire_len = frame(wire, z, (uint32_t)(2 * z_len));
	p = wire;
	n = wire_len;
	assert_int_equal(tailnet_mapstream_next(&m, &p, &n, &json, &json_len),
			 TAILNET_MAPSTREAM_BAD_ZSTD);
	/* and the stream stays failed */
	assert_int_equal(tailnet_mapstream_next(&m, &p, &n, &json, &json_len),
			 TAILNET_MAPSTREAM_BAD_ZSTD);
	tailnet_mapstream_free(&m);
	/* a frame that does not declare its size */
	{
		ZSTD_CCtx *cctx = ZSTD_createCCtx();

		ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
		z_len = ZSTD_compress2(cctx, z, sizeof(z), b, sizeof(b) - 1);
		ZSTD_freeCCtx(cctx);
		assert_false(ZSTD_isError(z_len));
	}
	tailnet_mapstream_init(&m, true);
	wire_len = frame(wire, z, (uint32_t)z_len);
	p = wire;
	n = wire_len;
	assert_int_equal(tailnet_mapstream_next(&m, &p, &n, &json, &json_len),
			 TAILNET_MAPSTREAM_BAD_ZSTD);
	tailnet_mapstream_free(&m);
	/* a frame that declares more than 16 MiB (a bomb: 17 MiB of zeros in a few bytes) */
	{
		size_t big = TAILNET_MAP_JSON_MAX + (1 << 20);
		char *zeros = calloc(1, big);
		uint8_t *bomb = malloc(ZSTD_compressBound(big));
		size_t bomb_len = ZSTD_compress(bomb, ZSTD_compressBound(big), zeros, big, 1);
		uint8_t *msg = malloc(bomb_len + 4);

		tailnet_mapstream_init(&m, true);
		p = msg;
		n = frame(msg, bomb, (uint32_t)bomb_len);
		assert_int_equal(tailnet_mapstream_next(&m, &p, &n, &json, &json_len),
				 TAILNET_MAPSTREAM_TOO_LONG);
		tailnet_mapstream_free(&m);
		free(zeros);
		free(bomb);
		free(msg);
	}
	/* a length over the limit, before any payload */
	tailnet_mapstream_init(&m, true);
	memcpy(wire, "\xff\xff\xff\x00", 4);
	p = wire;
	n = 4;
	assert_int_equal(tailnet_mapstream_next(&m, &p, &n, &json, &json_len),
			 TAILNET_MAPSTREAM_TOO_LONG);
	tailnet_mapstream_free(&m);
}

static void
test_keys_and_files(void **state)
{
	char dir[] = "/tmp/tailnet-test.XXXXXX", path[256], why[512], token[64];
	uint8_t key[32], again[32];
	bool created;
	struct stat st;
	FILE *f;

	(void)state;
	assert_int_equal(tailnet_key_parse("nodekey:"
					   "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff",
					   "nodekey:", key), 0);
	assert_int_equal(key[10], 0xaa);
	assert_int_equal(tailnet_key_parse("nodekey:0011", "nodekey:", key), -1);
	assert_int_equal(tailnet_key_parse("discokey:"
					   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
					   "nodekey:", key), -1);
	assert_int_equal(tailnet_key_parse("nodekey:"
					   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg",
					   "nodekey:", key), -1);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	/* created with 0600 in a 0700 directory */
	assert_int_equal(tailnet_machine_key_load(path, key, &created, why, sizeof(why)), 0);
	assert_true(created);
	snprintf(path, sizeof(path), "%s/state/machine.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* loaded again: the same key */
	assert_int_equal(tailnet_machine_key_load(path, again, &created, why, sizeof(why)), 0);
	assert_false(created);
	assert_memory_equal(key, again, 32);
	/* readable by others: refused, as config key files are */
	snprintf(path, sizeof(path), "%s/state/machine.key", dir);
	chmod(path, 0644);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(tailnet_machine_key_load(path, again, &created, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "mode 0644"));
	/* not a key */
	snprintf(path, sizeof(path), "%s/state/machine.key", dir);
	f = fopen(path, "w");
	fputs("privkey:nothex\n", f);
	fclose(f);
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(tailnet_machine_key_load(path, again, &created, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "does not hold one machine key"));
	/* the auth key: one line, the same mode rule */
	snprintf(path, sizeof(path), "%s/authkey", dir);
	f = fopen(path, "w");
	fputs("hskey-auth-abc_DEF-123\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(token_file_read("auth key file", path, NULL, token, sizeof(token), why,
					 sizeof(why)), 0);
	assert_string_equal(token, "hskey-auth-abc_DEF-123");
	chmod(path, 0640);
	assert_int_equal(token_file_read("auth key file", path, NULL, token, sizeof(token), why,
					 sizeof(why)), -1);
	assert_non_null(strstr(why, "group or others"));
	f = fopen(path, "w");
	fputs("two words\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(token_file_read("auth key file", path, NULL, token, sizeof(token), why,
					 sizeof(why)), -1);
	f = fopen(path, "w");
	fputs("\n", f);
	fclose(f);
	assert_int_equal(token_file_read("auth key file", path, NULL, token, sizeof(token), why,
					 sizeof(why)), -1);
	assert_int_equal(token_file_read("auth key file", "/nonexistent/x", NULL, token,
					 sizeof(token), why, sizeof(why)), -1);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headscale_session),
		cmocka_unit_test(test_headscale_exit_node_peer),
		cmocka_unit_test(test_headscale_expiry),
		cmocka_unit_test(test_delta_rules),
		cmocka_unit_test(test_derp_map_rules),
		cmocka_unit_test(test_filter_chunks),
		cmocka_unit_test(test_filter_entries),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_skipped_and_truncated),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_register_and_key),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_mapstream),
		cmocka_unit_test(test_keys_and_files),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
