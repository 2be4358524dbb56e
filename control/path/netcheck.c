/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The STUN client, the node's endpoints and netcheck.
 *
 * STUN binding requests leave from the listen port itself (through the data plane: the hook
 * sends them as any datagram of the listen port), so the mapping a NAT creates for them is the
 * one peers must use. A round asks every STUN server (nat_traversal.stun and every DERP node
 * that serves STUN) over each family the public port has an address of, waits at most
 * PATH_STUN_TIMEOUT_MS for the answers (matched by transaction id), and then makes the report:
 * UDP works per family (some server answered), the mapping varies by destination (two servers
 * at different addresses saw different ports or addresses: a hard NAT, hole punching will not
 * get through it), the public addresses seen, and the latency per DERP region. Rounds run at
 * start, every 20-26 s while some peer is active (below the 30 s after which many NATs drop an
 * idle mapping), every PATH_NETCHECK_INTERVAL_MS otherwise, and on demand.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "log.h"
#include "path_internal.h"

static const uint64_t NS_PER_MS = 1000000ull;

/* ---- servers ---- */

static void
server_add(struct path *path, const struct netendpoint *ep, uint32_t region)
{
	for (size_t i = 0; i < path->server_count; i++)
		if (netendpoint_equal(&path->servers[i].ep, ep))
			return;
	if (path->server_count == PATH_STUN_SERVERS_MAX) {
		log_warn("path: more than %d STUN servers: the rest are not asked",
			 PATH_STUN_SERVERS_MAX);
		return;
	}
	memset(&path->servers[path->server_count], 0, sizeof(path->servers[0]));
	path->servers[path->server_count].ep = *ep;
	path->servers[path->server_count].region = region;
	path->server_count++;
}

/* A DERP node's address for one family: the literal of the map, or a host name that is one. */
static bool
derp_node_address(const struct config_derp_node *n, int family, struct netaddr *out)
{
	const char *text = family == AF_INET ? n->ipv4 : n->ipv6;
	const char *why;

	if (strcmp(text, "none") == 0)
		return false;
	if (text[0] == '\0')
		text = n->host_name;
	return netaddr_parse(text, out, &why) == 0 && out->family == family;
}

void
netcheck_init(struct path *path, const struct config_derp *derp,
	      const struct config_nat_traversal *nt)
{
	path->round_running = false;
	if (derp != NULL) {
		path->region_count = 0;
		path->derp_stun_count = 0;
		for (size_t r = 0; r < derp->region_count; r++) {
			const struct config_derp_region *reg = &derp->regions[r];

			if (path->region_count < sizeof(path->regions) / sizeof(path->regions[0])) {
				struct path_region *pr = &path->regions[path->region_count++];

				memset(pr, 0, sizeof(*pr));
				pr->id = reg->region_id;
				snprintf(pr->code, sizeof(pr->code), "%s", reg->region_code);
			}
			for (size_t i = 0; i < reg->node_count; i++) {
				const struct config_derp_node *n = &reg->nodes[i];
				static const int families[] = {AF_INET, AF_INET6};

				if (n->stun_port < 0)
					continue;
				for (size_t f = 0; f < 2; f++) {
					struct path_stun_server *s;

					if (path->derp_stun_count == PATH_STUN_SERVERS_MAX)
						break;
					s = &path->derp_stun[path->derp_stun_count];
					memset(s, 0, sizeof(*s));
					if (!derp_node_address(n, families[f], &s->ep.addr))
						continue;
					s->ep.port = n->stun_port == 0 ? STUN_DEFAULT_PORT
								       : (uint16_t)n->stun_port;
					s->region = reg->region_id;
					path->derp_stun_count++;
				}
			}
		}
	}
	if (nt != NULL) {
		path->config_stun_count = 0;
		for (size_t i = 0; i < nt->stun_count; i++) {
			struct netendpoint ep;
			const char *why;

			/* the loop resolves no names (like the DERP map's host names) */
			if (netendpoint_parse(nt->stun[i], &ep, &why) != 0) {
				log_warn("path: nat_traversal.stun[%zu] \"%s\": not an address literal "
					 "with a port; not asked (the control loop resolves no names)",
					 i, nt->stun[i]);
				continue;
			}
			if (path->config_stun_count < PATH_STUN_SERVERS_MAX)
				path->config_stun[path->config_stun_count++] = ep;
		}
	}
	/* the servers of a round: the DERP map's, then nat_traversal's */
	path->server_count = 0;
	for (size_t i = 0; i < path->derp_stun_count; i++)
		server_add(path, &path->derp_stun[i].ep, path->derp_stun[i].region);
	for (size_t i = 0; i < path->config_stun_count; i++)
		server_add(path, &path->config_stun[i], 0);
	path->next_round_ns = 0; /* a first round at once */
}

/* ---- the node's own addresses ---- */

static bool
link_local(const struct netaddr *a)
{
	return a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

static bool
have_family(const struct path *path, int family)
{
	for (size_t i = 0; i < path->public_address_count; i++)
		if (path->public_addresses[i].addr.family == family &&
		    !link_local(&path->public_addresses[i].addr))
			return true;
	return false;
}

static bool
is_local_address(const struct path *path, const struct netaddr *a)
{
	for (size_t i = 0; i < path->public_address_count; i++)
		if (netaddr_equal(&path->public_addresses[i].addr, a))
			return true;
	return false;
}

/* ---- rounds ---- */

bool
netcheck_any_active(const struct path *path)
{
	uint64_t now = path_now();

	for (const struct path_peer *p = path->active; p != NULL; p = p->active_next)
		if (now < p->active_until_ns)
			return true;
	return false;
}

void
netcheck_start_round(struct path *path, uint64_t now)
{
	uint8_t req[STUN_REQUEST_LEN];

	path->round_running = true;
	path->round_started_ns = now;
	path->rounds++;
	for (size_t i = 0; i < path->server_count; i++) {
		struct path_stun_server *s = &path->servers[i];

		s->answered = false;
		s->sent_ns = 0;
		if (!have_family(path, s->ep.addr.family))
			continue;
		randombytes_buf(s->txid, sizeof(s->txid));
		if (stun_build_binding_request(req, sizeof(req), s->txid) < 0)
			continue;
		s->sent_ns = now;
		path->hooks.send_udp(path->hooks.ctx, &s->ep, req, sizeof(req));
		path->counters[PC_stun_requests]++;
	}
}

static bool
report_differs(const struct path_report *a, const struct path_report *b)
{
	return a->valid != b->valid || a->udp4 != b->udp4 || a->udp6 != b->udp6 ||
	       a->varies4 != b->varies4 || a->varies6 != b->varies6 ||
	       !netendpoint_equal(&a->mapped4, &b->mapped4) ||
	       !netendpoint_equal(&a->mapped6, &b->mapped6) ||
	       a->preferred_region != b->preferred_region;
}

/* The report of the round: final when it ended, partial when an answer brought something new
 * (a first mapping, another one): peers looking for a path hear of our endpoints at once rather
 * than after the slowest server's timeout. */
static void
finish_round(struct path *path, uint64_t now, bool final)
{
	struct path_report r = {.valid = true, .at_ns = now};
	bool connected;

	if (final)
		path->round_running = false;
	r.have_v4 = have_family(path, AF_INET);
	r.have_v6 = have_family(path, AF_INET6);
	for (size_t i = 0; i < path->region_count; i++)
		path->regions[i].latency_us = 0;
	for (size_t i = 0; i < path->server_count; i++) {
		const struct path_stun_server *s = &path->servers[i];
		bool v4 = s->ep.addr.family == AF_INET;
		struct netendpoint *first = v4 ? &r.mapped4 : &r.mapped6;

		if (s->sent_ns == 0)
			continue;
		*(v4 ? &r.servers4 : &r.servers6) += 1;
		if (!s->answered)
			continue;
		*(v4 ? &r.answered4 : &r.answered6) += 1;
		*(v4 ? &r.udp4 : &r.udp6) = true;
		if (first->addr.family == 0) {
			*first = s->mapped;
		} else if (!netendpoint_equal(first, &s->mapped)) {
			/* two servers, two mappings for one local port: it varies by destination
			 * (servers at one address would not prove it; they are told apart here by
			 * being different servers at all, as two entries of one address are one) */
			if (v4) {
				if (!r.varies4) {
					r.varied4_a = *first;
					r.varied4_b = s->mapped;
				}
				r.varies4 = true;
			} else {
				r.varies6 = true;
			}
		}
		for (size_t j = 0; j < path->region_count; j++) {
			struct path_region *reg = &path->regions[j];

			if (reg->id == s->region &&
			    (reg->latency_us == 0 || s->latency_us < reg->latency_us))
				reg->latency_us = s->latency_us == 0 ? 1 : s->latency_us;
		}
	}
	if (!final) {
		/* what has not answered yet is not "blocked" until the round ends */
		const struct path_report *old = &path->report;

		if (!r.udp4 && old->udp4) {
			r.udp4 = true;
			r.mapped4 = old->mapped4;
		}
		if (!r.udp6 && old->udp6) {
			r.udp6 = true;
			r.mapped6 = old->mapped6;
		}
		r.varies4 |= old->varies4;
		r.varies6 |= old->varies6;
		if (!r.varies4) {
			r.varied4_a = old->varied4_a;
			r.varied4_b = old->varied4_b;
		}
		if (old->valid) {
			r.servers4 = old->servers4 > r.servers4 ? old->servers4 : r.servers4;
			r.servers6 = old->servers6 > r.servers6 ? old->servers6 : r.servers6;
		}
	}
	r.public_local4 = r.udp4 && is_local_address(path, &r.mapped4.addr);
	r.public_local6 = r.udp6 && is_local_address(path, &r.mapped6.addr);
	r.preferred_region = path->hooks.relay_home(path->hooks.ctx, &connected);
	if (report_differs(&r, &path->report)) {
		path->summary_sequence++;
		path->report = r;
		path->endpoints_ns = now;
		for (struct path_peer *p = path->active; p != NULL; p = p->active_next)
			peer_path_own_endpoints_changed(p, now);
		if (path->hooks.endpoints_changed != NULL)
			path->hooks.endpoints_changed(path->hooks.ctx);
	} else {
		path->report = r;
		path->endpoints_ns = now;
	}
}

uint64_t
netcheck_tick(struct path *path, uint64_t now)
{
	if (path->round_running) {
		uint64_t deadline = path->round_started_ns + PATH_STUN_TIMEOUT_MS * NS_PER_MS;
		bool all = true;

		for (size_t i = 0; i < path->server_count; i++)
			all &= path->servers[i].sent_ns == 0 || path->servers[i].answered;
		if (now < deadline && !all)
			return deadline;
		finish_round(path, now, true);
		return path->next_round_ns;
	}
	if (now >= path->next_round_ns) {
		uint64_t span = netcheck_any_active(path)
					? PATH_STUN_REFRESH_MIN_MS +
						  randombytes_uniform(PATH_STUN_REFRESH_MAX_MS -
								      PATH_STUN_REFRESH_MIN_MS + 1)
					: PATH_NETCHECK_INTERVAL_MS;

		path->next_round_ns = now + span * NS_PER_MS;
		if (path->server_count != 0) {
			netcheck_start_round(path, now);
			return now + PATH_STUN_TIMEOUT_MS * NS_PER_MS;
		}
		/* nothing to ask: the report says so (UDP unknown), the rest still applies */
		finish_round(path, now, true);
	}
	/* a peer became active: refresh sooner than the idle interval */
	if (netcheck_any_active(path) &&
	    path->next_round_ns > now + PATH_STUN_REFRESH_MAX_MS * NS_PER_MS)
		path->next_round_ns = now + PATH_STUN_REFRESH_MIN_MS * NS_PER_MS;
	return path->next_round_ns;
}

void
netcheck_stun_input(struct path *path, const struct netendpoint *src, const uint8_t *data,
		    size_t len, uint64_t now)
{
	(void)src; /* matched by transaction id, as Tailscale does: a server may answer from an
		    * address other than the one asked (anycast, a second interface) */
	struct netendpoint mapped;

	/* the message first (what it is), then whose it is */
	if (stun_parse_binding_response(data, len, NULL, &mapped) != STUN_OK) {
		path->counters[PC_stun_drop_malformed]++;
		return;
	}
	for (size_t i = 0; i < path->server_count; i++) {
		struct path_stun_server *s = &path->servers[i];

		if (s->sent_ns == 0 || memcmp(data + 8, s->txid, STUN_TXID_LEN) != 0)
			continue;
		if (!s->answered) {
			bool news = true;

			s->answered = true;
			s->mapped = mapped;
			s->latency_us = (uint32_t)((now - s->sent_ns) / 1000);
			path->counters[PC_stun_responses]++;
			/* a mapping already advertised changes nothing until the round ends */
			for (size_t j = 0; j < path->server_count; j++)
				if (j != i && path->servers[j].answered &&
				    netendpoint_equal(&path->servers[j].mapped, &mapped))
					news = false;
			if (path->round_running && news)
				finish_round(path, now, false);
			if (path->round_running)
				path_wake(path);
		}
		return;
	}
	path->counters[PC_stun_drop_unknown_txid]++;
}

/* ---- endpoints ---- */

static size_t
endpoint_put(struct netendpoint *eps, uint8_t *types, size_t n, size_t max,
	     const struct netendpoint *ep, enum path_endpoint_type type)
{
	if (ep->addr.family == 0 || ep->port == 0)
		return n;
	for (size_t i = 0; i < n; i++)
		if (netendpoint_equal(&eps[i], ep))
			return n;
	if (n == max)
		return n;
	eps[n] = *ep;
	if (types != NULL)
		types[n] = (uint8_t)type;
	return n + 1;
}

size_t
netcheck_endpoints(const struct path *path, struct netendpoint *eps, uint8_t *types, size_t max)
{
	const struct path_report *r = &path->report;
	size_t n = 0;

	/* the order says what is tried first: public and explicit endpoints before LAN ones */
	for (size_t i = 0; i < path->static_endpoint_count; i++)
		n = endpoint_put(eps, types, n, max, &path->static_endpoints[i], PATH_EP_STATIC);
	if (path->portmapped.addr.family != 0)
		n = endpoint_put(eps, types, n, max, &path->portmapped, PATH_EP_PORTMAPPED);
	if (r->valid) {
		for (size_t i = 0; i < path->server_count; i++)
			if (path->servers[i].answered)
				n = endpoint_put(eps, types, n, max, &path->servers[i].mapped,
						 PATH_EP_STUN);
		/* behind a hard NAT the mapped port is useless to peers, but a static port
		 * forward (or a NAT that keeps the port) may make IP + our own port work */
		if (r->varies4) {
			struct netendpoint guess = r->mapped4;

			guess.port = path->listen_port;
			n = endpoint_put(eps, types, n, max, &guess, PATH_EP_STUN4_LOCAL_PORT);
		}
	}
	for (size_t i = 0; i < path->public_address_count; i++) {
		struct netendpoint ep = {.addr = path->public_addresses[i].addr,
					 .port = path->listen_port};

		if (!link_local(&ep.addr))
			n = endpoint_put(eps, types, n, max, &ep, PATH_EP_LOCAL);
	}
	return n;
}

void
netcheck_summary(const struct path *path, struct disco_summary *s)
{
	const struct path_report *r = &path->report;
	uint8_t types[DISCO_ENDPOINTS_MAX];

	memset(s, 0, sizeof(*s));
	s->sequence = path->summary_sequence;
	/* a node with no STUN server to ask knows nothing of its UDP: not "blocked" */
	if (r->valid && r->servers4 + r->servers6 != 0)
		s->flags |= DISCO_SUMMARY_CHECKED;
	if (r->udp4)
		s->flags |= DISCO_SUMMARY_UDP4;
	if (r->udp6)
		s->flags |= DISCO_SUMMARY_UDP6;
	if (r->varies4)
		s->flags |= DISCO_SUMMARY_VARIES4;
	if (r->varies6)
		s->flags |= DISCO_SUMMARY_VARIES6;
	if (r->public_local4 || r->public_local6)
		s->flags |= DISCO_SUMMARY_PUBLIC_LOCAL;
	if (path->portmap_configured)
		s->flags |= DISCO_SUMMARY_PORTMAP_TRIED;
	if (path->portmap != NULL && path->portmapped.addr.family != 0) {
		struct portmap_status st;

		portmap_status(path->portmap, &st);
		s->flags |= DISCO_SUMMARY_PORTMAP;
		s->portmap_protocol = (uint8_t)(st.protocol + 1);
	}
	s->preferred_region = (uint16_t)r->preferred_region;
	s->endpoint_count = (uint8_t)netcheck_endpoints(path, s->endpoints, types,
							 DISCO_ENDPOINTS_MAX);
}

const char *
netcheck_region_code(const struct path *path, uint32_t region)
{
	for (size_t i = 0; i < path->region_count; i++)
		if (path->regions[i].id == region)
			return path->regions[i].code;
	return NULL;
}

/* ---- the report ---- */

/* PortMapping: what is mapped, by which protocol, and what each protocol answered. */
void
netcheck_portmap_text(const struct path *path, struct strbuf *out)
{
	struct portmap_status st;
	char ep[NETADDR_TEXT_MAX];

	if (!path->portmap_configured) {
		strbuf_puts(out, "\t* PortMapping: not configured (nat_traversal.port_mapping)\n");
		return;
	}
	if (path->portmap == NULL) {
		strbuf_puts(out, "\t* PortMapping: configured, not running (no IPv4 address or "
				 "gateway on the public port)\n");
		return;
	}
	portmap_status(path->portmap, &st);
	if (st.mapped)
		strbuf_printf(out, "\t* PortMapping: %s, %s (lifetime %u s)\n",
			      portmap_protocol_name(st.protocol),
			      netendpoint_format(&st.external, ep, sizeof(ep)), st.lifetime_s);
	else
		strbuf_printf(out, "\t* PortMapping: none%s\n", st.probing ? " (probing)" : "");
	for (int p = 0; p < PORTMAP_PROTOCOLS; p++) {
		const struct portmap_protocol_status *ps = &st.protocols[p];

		if (!ps->configured)
			continue;
		strbuf_printf(out, "\t\t- %s: %s\n",
			      portmap_protocol_name((enum config_port_mapping)p),
			      !ps->tried  ? "not probed yet"
			      : ps->answered ? (ps->error[0] != '\0' ? ps->error : "answers")
					     : (ps->error[0] != '\0' ? ps->error : "no answer"));
	}
}

static const char *
endpoint_type_name(uint8_t type)
{
	switch (type) {
	case PATH_EP_LOCAL:
		return "local";
	case PATH_EP_STUN:
		return "stun";
	case PATH_EP_PORTMAPPED:
		return "portmap";
	case PATH_EP_STUN4_LOCAL_PORT:
		return "stun4localport";
	case PATH_EP_STATIC:
		return "static";
	}
	return "unknown";
}

static void
family_line(struct strbuf *out, const char *name, bool have, bool udp, size_t asked,
	    const struct netendpoint *mapped)
{
	char ep[NETADDR_TEXT_MAX];

	if (!have)
		strbuf_printf(out, "\t* %s: no (the public port has no %s address)\n", name, name);
	else if (asked == 0)
		strbuf_printf(out, "\t* %s: unknown (no STUN server to ask)\n", name);
	else if (udp)
		strbuf_printf(out, "\t* %s: yes, %s\n", name,
			      netendpoint_format(mapped, ep, sizeof(ep)));
	else
		strbuf_printf(out, "\t* %s: no: none of %zu STUN server%s answered in %d s "
				   "(UDP blocked)\n",
			      name, asked, asked == 1 ? "" : "s", PATH_STUN_TIMEOUT_MS / 1000);
}

void
netcheck_report_text(struct path *path, struct strbuf *out, bool json)
{
	const struct path_report *r = &path->report;
	struct netendpoint eps[DISCO_ENDPOINTS_MAX];
	uint8_t types[DISCO_ENDPOINTS_MAX];
	size_t n = netcheck_endpoints(path, eps, types, DISCO_ENDPOINTS_MAX);
	const char *home = netcheck_region_code(path, r->preferred_region);
	char a[NETADDR_TEXT_MAX], b[NETADDR_TEXT_MAX];
	uint64_t age_s = r->valid ? (path_now() - r->at_ns) / 1000000000ull : 0;

	if (json) {
		strbuf_printf(out, "{\"valid\":%s,\"age_s\":%llu,\"udp\":%s,\"ipv4\":%s,\"ipv6\":%s,"
				   "\"mapping_varies_by_dest_ip\":%s,\"mapping_varies_by_dest_ipv6\":%s,"
				   "\"ipv4_servers\":%zu,\"ipv4_answered\":%zu,\"ipv6_servers\":%zu,"
				   "\"ipv6_answered\":%zu,\"public_ipv4\":\"%s\",\"public_ipv6\":\"%s\","
				   "\"preferred_derp\":%u,\"endpoints\":[",
			      r->valid ? "true" : "false", (unsigned long long)age_s,
			      r->udp4 || r->udp6 ? "true" : "false", r->udp4 ? "true" : "false",
			      r->udp6 ? "true" : "false", r->varies4 ? "true" : "false",
			      r->varies6 ? "true" : "false", r->servers4, r->answered4, r->servers6,
			      r->answered6,
			      r->udp4 ? netendpoint_format(&r->mapped4, a, sizeof(a)) : "",
			      r->udp6 ? netendpoint_format(&r->mapped6, b, sizeof(b)) : "",
			      r->preferred_region);
		for (size_t i = 0; i < n; i++)
			strbuf_printf(out, "%s{\"endpoint\":\"%s\",\"type\":\"%s\"}", i ? "," : "",
				      netendpoint_format(&eps[i], a, sizeof(a)),
				      endpoint_type_name(types[i]));
		strbuf_puts(out, "],\"port_mapping\":");
		if (path->portmap == NULL) {
			strbuf_printf(out, "{\"configured\":%s,\"mapped\":false}",
				      path->portmap_configured ? "true" : "false");
		} else {
			struct portmap_status st;

			portmap_status(path->portmap, &st);
			strbuf_printf(out, "{\"configured\":true,\"mapped\":%s,\"protocol\":\"%s\","
					   "\"external\":\"%s\",\"lifetime_s\":%u,\"protocols\":{",
				      st.mapped ? "true" : "false",
				      st.mapped ? portmap_protocol_name(st.protocol) : "",
				      st.mapped ? netendpoint_format(&st.external, a, sizeof(a)) : "",
				      st.lifetime_s);
			for (int p = 0, first = 1; p < PORTMAP_PROTOCOLS; p++) {
				const struct portmap_protocol_status *ps = &st.protocols[p];

				if (!ps->configured)
					continue;
				strbuf_printf(out, "%s\"%s\":{\"answered\":%s,\"error\":", first ? "" : ",",
					      portmap_protocol_name((enum config_port_mapping)p),
					      ps->answered ? "true" : "false");
				strbuf_json_string(out, ps->error);
				strbuf_puts(out, "}");
				first = 0;
			}
			strbuf_puts(out, "}}");
		}
		strbuf_puts(out, ",\"derp_latency_us\":{");
		for (size_t i = 0; i < path->region_count; i++)
			strbuf_printf(out, "%s\"%s\":%u", i ? "," : "", path->regions[i].code,
				      path->regions[i].latency_us);
		strbuf_puts(out, "}}\n");
		return;
	}
	if (!r->valid) {
		strbuf_puts(out, "Report: none yet (a round is running)\n");
		return;
	}
	strbuf_printf(out, "Report (%llus old, round %llu):\n", (unsigned long long)age_s,
		      (unsigned long long)path->rounds);
	strbuf_printf(out, "\t* UDP: %s\n", r->udp4 || r->udp6 ? "true" : "false");
	family_line(out, "IPv4", r->have_v4, r->udp4, r->servers4, &r->mapped4);
	family_line(out, "IPv6", r->have_v6, r->udp6, r->servers6, &r->mapped6);
	if (r->varies4)
		strbuf_printf(out, "\t* MappingVariesByDestIP: true (%s and %s for one local port: a "
				   "hard NAT)\n",
			      netendpoint_format(&r->varied4_a, a, sizeof(a)),
			      netendpoint_format(&r->varied4_b, b, sizeof(b)));
	else
		strbuf_printf(out, "\t* MappingVariesByDestIP: %s\n",
			      r->answered4 >= 2 ? "false" : "unknown (fewer than two IPv4 answers)");
	netcheck_portmap_text(path, out);
	strbuf_printf(out, "\t* Public address: %s\n",
		      r->public_local4 || r->public_local6 ? "a local address (no NAT)"
		      : r->udp4 || r->udp6                 ? "behind NAT"
							   : "unknown");
	strbuf_printf(out, "\t* Nearest DERP: %s\n", home != NULL ? home : "(none)");
	strbuf_puts(out, "\t* DERP latency:\n");
	for (size_t i = 0; i < path->region_count; i++) {
		if (path->regions[i].latency_us != 0)
			strbuf_printf(out, "\t\t- %s: %.1fms\n", path->regions[i].code,
				      path->regions[i].latency_us / 1000.0);
		else
			strbuf_printf(out, "\t\t- %s: no STUN answer\n", path->regions[i].code);
	}
	strbuf_puts(out, "\t* Endpoints:\n");
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "\t\t- %s (%s)\n", netendpoint_format(&eps[i], a, sizeof(a)),
			      endpoint_type_name(types[i]));
}
