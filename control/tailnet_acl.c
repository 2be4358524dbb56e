/* SPDX-License-Identifier: BSD-3-Clause */
#include "tailnet_acl.h"

static const uint8_t default_protocols[] = {1, 6, 17, 58}; /* ICMP, TCP, UDP, ICMPv6 */

struct dp_acl *
tailnet_acl_compile(const struct tailnet_filter *filter)
{
	uint32_t rules = 0, srcs = 0, dsts = 0;
	struct dp_acl *acl;

	for (size_t i = 0; i < filter->rule_count; i++) {
		const struct tailnet_filter_rule *r = &filter->rules[i];

		/* a rule that grants no packets (only capabilities) is no rule here */
		if (r->dst_count == 0 || r->src_count == 0)
			continue;
		rules++;
		srcs += (uint32_t)r->src_count;
		dsts += (uint32_t)r->dst_count;
	}
	acl = dp_acl_new(rules, srcs, dsts);
	if (acl == NULL)
		return NULL;
	for (size_t i = 0; i < filter->rule_count; i++) {
		const struct tailnet_filter_rule *r = &filter->rules[i];
		struct dp_acl_rule *out;

		if (r->dst_count == 0 || r->src_count == 0)
			continue;
		out = dp_acl_rule_add(acl);
		for (size_t s = 0; s < r->src_count; s++)
			dp_acl_rule_src(acl, out, &r->srcs[s]);
		for (size_t d = 0; d < r->dst_count; d++)
			dp_acl_rule_dst(acl, out, &r->dsts[d].net, r->dsts[d].ports.first,
					r->dsts[d].ports.last);
		if (r->proto_count == 0) {
			for (size_t p = 0; p < sizeof(default_protocols); p++)
				dp_acl_rule_protocol(out, default_protocols[p]);
		} else {
			for (size_t p = 0; p < r->proto_count; p++)
				dp_acl_rule_protocol(out, r->protos[p]);
		}
	}
	return acl;
}
