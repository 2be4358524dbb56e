/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `exitgatectl why PEER`: what keeps a peer on the relay, on this side (our netcheck report) and
 * on the peer's (the summary its Hello carried, when it is an exitgate node), with the evidence
 * (STUN answers missing, two mappings that differ, no port-mapping service, pings sent to these
 * endpoints with no pong) and the remedy the situation calls for.
 *
 * The findings are facts with names (enum finding); the remedies are chosen from the set of
 * findings on both sides, so the text for one situation is written once.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "path_internal.h"

enum finding {
	F_NOT_CHECKED,    /* no netcheck yet */
	F_UDP_BLOCKED,    /* no STUN answer over any family */
	F_HARD_NAT4,      /* mapping varies by destination over IPv4 */
	F_NO_IPV6,        /* no working IPv6 */
	F_BEHIND_NAT,     /* no public address of its own */
	F_PUBLIC,         /* a public address (or a static endpoint) */
	F_PORTMAP,        /* a port mapping is in place */
	F_FINDINGS
};

struct side {
	bool known;
	bool f[F_FINDINGS];
	size_t endpoint_count;
};

static void
side_from_report(const struct path *path, struct side *s)
{
	const struct path_report *r = &path->report;

	memset(s, 0, sizeof(*s));
	s->known = true;
	if (!r->valid) {
		s->f[F_NOT_CHECKED] = true;
		return;
	}
	s->f[F_UDP_BLOCKED] = (r->servers4 + r->servers6) != 0 && !r->udp4 && !r->udp6;
	s->f[F_HARD_NAT4] = r->varies4;
	s->f[F_NO_IPV6] = !r->udp6;
	s->f[F_PUBLIC] = r->public_local4 || r->public_local6 || path->static_endpoint_count != 0;
	s->f[F_PORTMAP] = path->portmapped.addr.family != 0;
	s->f[F_BEHIND_NAT] = (r->udp4 || r->udp6) && !s->f[F_PUBLIC];
}

static void
side_from_summary(const struct path_peer *peer, struct side *s)
{
	const struct disco_summary *sum = &peer->summary;

	memset(s, 0, sizeof(*s));
	if (!peer->has_summary)
		return;
	s->known = true;
	s->endpoint_count = sum->endpoint_count;
	if (!(sum->flags & DISCO_SUMMARY_CHECKED)) {
		s->f[F_NOT_CHECKED] = true;
		return;
	}
	s->f[F_UDP_BLOCKED] = !(sum->flags & (DISCO_SUMMARY_UDP4 | DISCO_SUMMARY_UDP6));
	s->f[F_HARD_NAT4] = (sum->flags & DISCO_SUMMARY_VARIES4) != 0;
	s->f[F_NO_IPV6] = !(sum->flags & DISCO_SUMMARY_UDP6);
	s->f[F_PORTMAP] = (sum->flags & DISCO_SUMMARY_PORTMAP) != 0;
	s->f[F_PUBLIC] = (sum->flags & DISCO_SUMMARY_PUBLIC_LOCAL) != 0;
	s->f[F_BEHIND_NAT] = !s->f[F_UDP_BLOCKED] && !s->f[F_PUBLIC];
}

static const char *
source_name(uint8_t source)
{
	switch (source) {
	case CAND_CONFIG:
		return "configured";
	case CAND_CONTROL:
		return "from control";
	case CAND_CALL_ME_MAYBE:
		return "from its CallMeMaybe";
	case CAND_HELLO:
		return "from its Hello";
	case CAND_PING:
		return "it pinged from there";
	case CAND_HEARD:
		return "WireGuard came from there";
	}
	return "?";
}

/* Why this side has no port mapping: not configured, or what each protocol answered. */
static void
portmap_evidence(struct strbuf *out, const char *who, const struct path *path)
{
	struct portmap_status st;

	if (!path->portmap_configured) {
		strbuf_printf(out, "  %s: no port mapping (nat_traversal.port_mapping is empty)\n", who);
		return;
	}
	if (path->portmap == NULL) {
		strbuf_printf(out, "  %s: no port mapping (no IPv4 address and gateway on the "
				   "public port to ask)\n", who);
		return;
	}
	portmap_status(path->portmap, &st);
	strbuf_printf(out, "  %s: no port mapping service answered:", who);
	for (int p = 0; p < PORTMAP_PROTOCOLS; p++) {
		const struct portmap_protocol_status *ps = &st.protocols[p];

		if (ps->configured)
			strbuf_printf(out, " %s: %s;", portmap_protocol_name((enum config_port_mapping)p),
				      !ps->tried ? "not probed yet"
				      : ps->error[0] != '\0' ? ps->error
							      : "answered, but granted nothing");
	}
	strbuf_puts(out, "\n");
}

static void
findings_text(struct strbuf *out, const char *who, const struct side *s,
	      const struct path *path, bool ours)
{
	const struct path_report *r = &path->report;
	char a[NETADDR_TEXT_MAX], b[NETADDR_TEXT_MAX];

	if (!s->known) {
		strbuf_printf(out, "  %s: unknown (no Hello from it yet: it is not an exitgate node, "
				   "or its Hello has not arrived over DERP)\n", who);
		return;
	}
	if (s->f[F_NOT_CHECKED]) {
		strbuf_printf(out, "  %s: no netcheck has completed yet\n", who);
		return;
	}
	if (s->f[F_UDP_BLOCKED]) {
		if (ours)
			strbuf_printf(out, "  %s: UDP blocked: no STUN reply from any of %zu server%s in "
					   "%d s\n",
				      who, r->servers4 + r->servers6,
				      r->servers4 + r->servers6 == 1 ? "" : "s",
				      PATH_STUN_TIMEOUT_MS / 1000);
		else
			strbuf_printf(out, "  %s: UDP blocked: its STUN servers did not answer\n", who);
	}
	if (s->f[F_HARD_NAT4]) {
		if (ours)
			strbuf_printf(out, "  %s: hard NAT (IPv4): one local port was seen as %s and "
					   "%s by two STUN servers (mapping varies by destination)\n",
				      who, netendpoint_format(&r->varied4_a, a, sizeof(a)),
				      netendpoint_format(&r->varied4_b, b, sizeof(b)));
		else
			strbuf_printf(out, "  %s: hard NAT (IPv4): its mapping varies by destination\n",
				      who);
	}
	if (!s->f[F_UDP_BLOCKED] && s->f[F_BEHIND_NAT] && !s->f[F_HARD_NAT4])
		strbuf_printf(out, "  %s: behind an easy NAT (one mapping for every destination)\n",
			      who);
	if (s->f[F_PUBLIC])
		strbuf_printf(out, "  %s: has a public address%s\n", who,
			      ours && path->static_endpoint_count != 0 ? " (static_endpoints)" : "");
	if (s->f[F_PORTMAP])
		strbuf_printf(out, "  %s: a port mapping is in place\n", who);
	if (s->f[F_NO_IPV6] && !s->f[F_UDP_BLOCKED])
		strbuf_printf(out, "  %s: no IPv6 path\n", who);
	if (ours && r->valid && r->udp4 && !s->f[F_PORTMAP])
		portmap_evidence(out, who, path);
}

static void
evidence_text(struct strbuf *out, const struct path_peer *peer, uint64_t now)
{
	char ep[NETADDR_TEXT_MAX];

	if (peer->candidate_count == 0) {
		strbuf_puts(out, "  no endpoint of the peer is known: nothing to ping (it sent no "
				 "CallMeMaybe or Hello, and none is configured)\n");
		return;
	}
	for (size_t i = 0; i < peer->candidate_count; i++) {
		const struct path_candidate *c = &peer->candidates[i];

		netendpoint_format(&c->ep, ep, sizeof(ep));
		if (c->pongs != 0)
			strbuf_printf(out, "  %s (%s): %u pings, %u pongs, the last %llus ago, %.1f ms\n",
				      ep, source_name(c->source), c->pings, c->pongs,
				      (unsigned long long)((now - c->last_pong_ns) / 1000000000ull),
				      c->latency_us / 1000.0);
		else if (c->pings != 0)
			strbuf_printf(out, "  %s (%s): %u pings sent, no pong\n", ep,
				      source_name(c->source), c->pings);
		else
			strbuf_printf(out, "  %s (%s): not pinged yet\n", ep, source_name(c->source));
	}
}

/* The remedy for the union of both sides' findings; the most specific first. */
static void
remedy_text(struct strbuf *out, const struct side *us, const struct side *them,
	    const struct path *path)
{
	bool blocked_us = us->f[F_UDP_BLOCKED], blocked_them = them->known && them->f[F_UDP_BLOCKED];
	bool hard_us = us->f[F_HARD_NAT4], hard_them = them->known && them->f[F_HARD_NAT4];
	bool public_any = us->f[F_PUBLIC] || (them->known && them->f[F_PUBLIC]);
	unsigned int port = path->listen_port;

	strbuf_puts(out, "remedy:\n");
	if (blocked_us || blocked_them) {
		strbuf_printf(out, "  - UDP is blocked on %s: allow outbound UDP (to the peer's "
				   "endpoints, port %u, and STUN on 3478) and its replies; until then "
				   "the relay over TCP (DERP) is the only path\n",
			      blocked_us && blocked_them ? "both sides"
			      : blocked_us               ? "this side"
							 : "the peer's side",
			      port);
		return;
	}
	if (hard_us && hard_them) {
		strbuf_printf(out, "  - both sides are behind hard NATs: hole punching cannot work. "
				   "Make one side reachable: open UDP/%u inbound on a public address "
				   "(a 1:1 NAT such as a cloud elastic IP, with the port open) and list "
				   "it in nat_traversal.static_endpoints; or a static port forward of "
				   "UDP/%u on the NAT plus static_endpoints; or enable NAT-PMP, PCP or "
				   "UPnP on one gateway and nat_traversal.port_mapping; IPv6 on both "
				   "sides avoids the NAT altogether\n",
			      port, port);
		return;
	}
	if ((hard_us || hard_them) && !public_any) {
		strbuf_printf(out, "  - %s is behind a hard NAT and the other side has no public "
				   "address: give one side a public address with UDP/%u open "
				   "(nat_traversal.static_endpoints), a static port forward, or a port "
				   "mapping (NAT-PMP/PCP/UPnP on its gateway); or add IPv6\n",
			      hard_us ? "this side" : "the peer", port);
		return;
	}
	if (!them->known) {
		strbuf_printf(out, "  - the peer's side is unknown: if it is behind a NAT that "
				   "filters, open UDP/%u inbound on a public address of either node "
				   "and list it in nat_traversal.static_endpoints\n",
			      port);
		return;
	}
	strbuf_printf(out, "  - pings go unanswered though neither side reports a hard NAT: a "
			   "firewall drops UDP/%u inbound on one side; open it (or use a unique "
			   "listen port per node when several share one NAT)\n",
		      port);
}

void
why_describe(struct path *path, const struct path_peer *peer, struct strbuf *out, bool json,
	     uint64_t now)
{
	struct side us, them;
	enum path_kind kind = path_peer_kind(peer);
	static const char *const names[F_FINDINGS] = {
		[F_NOT_CHECKED] = "not_checked", [F_UDP_BLOCKED] = "udp_blocked",
		[F_HARD_NAT4] = "hard_nat", [F_NO_IPV6] = "no_ipv6",
		[F_BEHIND_NAT] = "behind_nat", [F_PUBLIC] = "public",
		[F_PORTMAP] = "port_mapping",
	};

	side_from_report(path, &us);
	side_from_summary(peer, &them);
	if (json) {
		bool first = true;

		strbuf_printf(out, "{\"peer\":");
		strbuf_json_string(out, peer->name);
		strbuf_printf(out, ",\"kind\":\"%s\",\"pinned\":%s,\"disco\":%s,\"ours\":[",
			      kind == PATH_KIND_DIRECT  ? "direct"
			      : kind == PATH_KIND_RELAY ? "relay"
			      : kind == PATH_KIND_BOTH  ? "both"
							: "none",
			      peer->pin != CONFIG_PATH_AUTO ? "true" : "false",
			      peer_path_disco_mode(peer) ? "true" : "false");
		for (int f = 0; f < F_FINDINGS; f++)
			if (us.f[f]) {
				strbuf_printf(out, "%s\"%s\"", first ? "" : ",", names[f]);
				first = false;
			}
		strbuf_printf(out, "],\"peer_known\":%s,\"theirs\":[", them.known ? "true" : "false");
		first = true;
		for (int f = 0; f < F_FINDINGS; f++)
			if (them.f[f]) {
				strbuf_printf(out, "%s\"%s\"", first ? "" : ",", names[f]);
				first = false;
			}
		strbuf_puts(out, "],\"candidates\":[");
		for (size_t i = 0; i < peer->candidate_count; i++) {
			char ep[NETADDR_TEXT_MAX];
			const struct path_candidate *c = &peer->candidates[i];

			strbuf_printf(out, "%s{\"endpoint\":\"%s\",\"source\":\"%s\",\"pings\":%u,"
					   "\"pongs\":%u}",
				      i ? "," : "", netendpoint_format(&c->ep, ep, sizeof(ep)),
				      source_name(c->source), c->pings, c->pongs);
		}
		strbuf_puts(out, "],\"remedy\":");
		{
			struct strbuf r;

			strbuf_init(&r, 2048);
			remedy_text(&r, &us, &them, path);
			strbuf_json_string(out, r.data != NULL ? r.data : "");
			strbuf_free(&r);
		}
		strbuf_puts(out, "}\n");
		return;
	}
	strbuf_printf(out, "peer %s: ", peer->name);
	peer_path_describe(peer, out, false, now);
	strbuf_puts(out, "\n");
	if (peer->pin != CONFIG_PATH_AUTO) {
		strbuf_printf(out, "it is pinned (path: %s in the config): path selection leaves it "
				   "alone\n",
			      peer->pin == CONFIG_PATH_RELAY ? "relay" : "direct");
		return;
	}
	if (!peer_path_disco_mode(peer)) {
		strbuf_printf(out, "it speaks no disco (no disco key known): %s\n",
			      peer->exitgate ? "an exitgate peer's key is learnt from its Hello over "
					       "DERP; none has arrived (is it connected to the relay?)"
					     : "a stock WireGuard peer is sent to at its endpoint, as "
					       "WireGuard does");
		return;
	}
	if (kind == PATH_KIND_DIRECT) {
		strbuf_puts(out, "it is direct: nothing to fix\n");
		return;
	}
	strbuf_puts(out, "this side:\n");
	findings_text(out, "this node", &us, path, true);
	strbuf_puts(out, "the peer's side:\n");
	findings_text(out, "the peer", &them, path, false);
	strbuf_puts(out, "evidence (the peer's endpoints we pinged):\n");
	evidence_text(out, peer, now);
	remedy_text(out, &us, &them, path);
}
