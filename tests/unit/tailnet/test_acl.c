/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tailnet's packet filter as the workers check it: headscale's real filters (vectors/,
 * captured from the tailnet lab) parsed by the control client, compiled by tailnet_acl and
 * asked about packets. The exit filter grants the lab's three nodes each other and
 * autogroup:internet; the initial one (before the exit routes were approved) grants the nodes
 * each other but not the internet. Also: no table allows all, an empty one denies all, ports
 * bind TCP and UDP but not ICMP.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tailnet_acl.h"
#include "tailnet_delta.h"
#include "tailnet_json.h"

static char *
read_vector(const char *name)
{
	char path[4096];
	FILE *f;
	long size;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s.json", VECTOR_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	return buf;
}

/* The filter of a headscale message, compiled. */
static struct dp_acl *
acl_of(const char *vector)
{
	struct tailnet_store s;
	struct tailnet_delta d;
	struct tailnet_parse_counters counters = {0};
	struct tailnet_netmap_change c;
	char why[TAILNET_WHY_MAX];
	char *text = read_vector(vector);
	struct dp_acl *acl;

	tailnet_store_init(&s, 1024);
	assert_int_equal(tailnet_json_parse_map(text, strlen(text), &d, &counters, why), 0);
	assert_int_equal(tailnet_store_apply(&s, &d, 1800000000, &c), TAILNET_APPLY_OK);
	assert_true(s.nm.filter_known);
	acl = tailnet_acl_compile(&s.nm.filter);
	assert_non_null(acl);
	tailnet_delta_free(&d);
	tailnet_store_free(&s);
	free(text);
	return acl;
}

/* An IPv4 packet: protocol, source, destination, destination port (TCP/UDP). */
static size_t
ipv4(uint8_t *p, uint8_t proto, const char *src, const char *dst, uint16_t dport)
{
	memset(p, 0, 64);
	p[0] = 0x45;
	p[3] = 40;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	return 40;
}

static bool
allows(const struct dp_acl *acl, uint8_t proto, const char *src, const char *dst,
       uint16_t port)
{
	uint8_t pkt[64];
	size_t len = ipv4(pkt, proto, src, dst, port);

	return dp_acl_allows(acl, pkt, (uint32_t)len);
}

static void
test_exit_filter(void **state)
{
	struct dp_acl *acl = acl_of("headscale_exit_filter");

	(void)state;
	/* tailnet nodes to each other, and to the internet through the exit */
	assert_true(allows(acl, 6, "100.64.0.1", "100.64.0.2", 22));
	assert_true(allows(acl, 17, "100.64.0.3", "8.8.8.8", 53));
	assert_true(allows(acl, 6, "100.64.0.1", "2.0.0.10", 5201));
	assert_true(allows(acl, 1, "100.64.0.1", "2.0.0.10", 0));
	/* autogroup:internet is not the private ranges */
	assert_false(allows(acl, 6, "100.64.0.1", "10.1.2.3", 80));
	assert_false(allows(acl, 6, "100.64.0.1", "192.168.1.1", 80));
	/* a source the policy does not name */
	assert_false(allows(acl, 6, "100.64.0.9", "8.8.8.8", 443));
	/* a protocol no rule lists (GRE) */
	assert_false(allows(acl, 47, "100.64.0.1", "8.8.8.8", 0));
	dp_acl_free(acl);
}

static void
test_initial_filter(void **state)
{
	struct dp_acl *acl = acl_of("headscale_initial");

	(void)state;
	/* before the exit routes were approved: no internet for anyone */
	assert_false(allows(acl, 6, "100.64.0.1", "2.0.0.10", 5201));
	dp_acl_free(acl);
}

static void
test_tables(void **state)
{
	struct dp_acl *empty = dp_acl_new(0, 0, 0), *acl = dp_acl_new(1, 1, 1);
	struct dp_acl_rule *r;
	struct netprefix any, web;
	const char *why;

	(void)state;
	assert_true(allows(NULL, 6, "100.64.0.1", "2.0.0.10", 80));
	assert_false(allows(empty, 6, "100.64.0.1", "2.0.0.10", 80));
	assert_int_equal(netprefix_parse("0.0.0.0/0", &any, &why), 0);
	assert_int_equal(netprefix_parse("2.0.0.0/24", &web, &why), 0);
	r = dp_acl_rule_add(acl);
	assert_non_null(r);
	assert_null(dp_acl_rule_add(acl)); /* one rule reserved */
	assert_int_equal(dp_acl_rule_src(acl, r, &any), 0);
	assert_int_equal(dp_acl_rule_dst(acl, r, &web, 80, 443), 0);
	assert_int_equal(dp_acl_rule_dst(acl, r, &web, 80, 443), -1); /* over the reservation */
	dp_acl_rule_protocol(r, 6);
	dp_acl_rule_protocol(r, 1);
	assert_true(allows(acl, 6, "1.2.3.4", "2.0.0.10", 443));
	assert_false(allows(acl, 6, "1.2.3.4", "2.0.0.10", 444));
	assert_false(allows(acl, 6, "1.2.3.4", "2.0.1.10", 443));
	assert_false(allows(acl, 17, "1.2.3.4", "2.0.0.10", 443)); /* UDP not listed */
	assert_true(allows(acl, 1, "1.2.3.4", "2.0.0.10", 0));     /* ICMP: no ports */
	dp_acl_free(empty);
	dp_acl_free(acl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_filter),
		cmocka_unit_test(test_initial_filter),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
