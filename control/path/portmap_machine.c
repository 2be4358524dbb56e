/* SPDX-License-Identifier: BSD-3-Clause */
/* The port mapper's decisions (see portmap_machine.h). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "portmap_check.h"
#include "portmap_machine.h"

const char *
portmap_protocol_name(enum config_port_mapping protocol)
{
	switch (protocol) {
	case CONFIG_PORTMAP_NATPMP:
		return "natpmp";
	case CONFIG_PORTMAP_PCP:
		return "pcp";
	case CONFIG_PORTMAP_UPNP:
		return "upnp";
	}
	return "unknown";
}

const char *
portmap_drop_name(enum portmap_drop drop)
{
	static const char *const names[PORTMAP_DROPS] = {
		[PORTMAP_DROP_SHORT] = "short",
		[PORTMAP_DROP_LENGTH] = "length",
		[PORTMAP_DROP_VERSION] = "version",
		[PORTMAP_DROP_NOT_RESPONSE] = "not_response",
		[PORTMAP_DROP_OPCODE] = "opcode",
		[PORTMAP_DROP_NONCE] = "nonce",
		[PORTMAP_DROP_MISMATCH] = "mismatch",
		[PORTMAP_DROP_OPTION] = "option",
		[PORTMAP_DROP_UNSOLICITED] = "unsolicited",
		[PORTMAP_DROP_EXTERNAL] = "external",
		[PORTMAP_DROP_SSDP_FOREIGN] = "ssdp_foreign",
		[PORTMAP_DROP_IGD_INVALID] = "igd_invalid",
	};

	return (unsigned)drop < PORTMAP_DROPS ? names[drop] : "unknown";
}

static const char *
proto_name(const struct portmap_machine_proto *p)
{
	return portmap_protocol_name(p->protocol);
}

/* ---- starting operations ---- */

static void
start_op(struct portmap_machine *m, size_t index, enum portmap_op op)
{
	struct portmap_machine_proto *p = &m->protos[index];
	struct portmap_request request = {.op = op, .internal_port = m->internal_port};
	bool renewal = m->mapped && m->mapped_index == index;

	switch (op) {
	case PORTMAP_OP_MAP:
		request.lifetime_s = m->lifetime_s;
		if (renewal) {
			request.external_port = m->external.port;
			request.external_addr = m->external.addr;
		} else {
			/* the port we had before a loss, else the internal one: a gateway that
			 * grants it keeps the endpoint peers may already know */
			request.external_port =
				m->previous_port != 0 ? m->previous_port : m->internal_port;
		}
		break;
	case PORTMAP_OP_CHECK:
	case PORTMAP_OP_UNMAP:
		request.external_port = m->external.port;
		request.external_addr = m->external.addr;
		break;
	default:
		break;
	}
	p->op = op;
	if (m->action_count < PORTMAP_MACHINE_ACTIONS)
		m->actions[m->action_count++] = (struct portmap_action){index, request};
}

/* ---- the mapping ---- */

static void
schedule_mapping(struct portmap_machine *m, uint64_t now)
{
	m->renewed_ns = now;
	m->renew_at_ns = portmap_renew_at(now, m->granted_s);
	m->expires_ns = portmap_expires_at(now, m->granted_s);
	m->check_at_ns = now + portmap_check_interval_ns(m->granted_s);
}

static void
lose_mapping(struct portmap_machine *m, const char *why)
{
	char text[NETADDR_TEXT_MAX];

	if (!m->mapped)
		return;
	log_warn("portmap: %s mapping %s lost: %s", proto_name(&m->protos[m->mapped_index]),
		 netendpoint_format(&m->external, text, sizeof(text)), why);
	m->previous_port = m->external.port;
	m->mapped = false;
	memset(&m->external, 0, sizeof(m->external));
	m->renew_at_ns = m->expires_ns = m->check_at_ns = 0;
	m->changed = true;
}

static void
seek_start(struct portmap_machine *m)
{
	m->seeking = true;
	m->seek = 0;
	m->seek_sent = false;
	m->retry_at_ns = 0;
	for (size_t i = 0; i < m->count; i++)
		m->protos[i].probe_wanted = true;
}

/* A granted MAP answer we can use; false (counted) when its endpoint or lifetime is not. */
static bool
grant_usable(struct portmap_machine *m, const struct portmap_machine_proto *p,
	     const struct portmap_answer *a)
{
	if (!portmap_external_usable(&a->external) ||
	    (a->lifetime_s == 0 && p->protocol != CONFIG_PORTMAP_UPNP)) {
		m->dropped[PORTMAP_DROP_EXTERNAL]++;
		return false;
	}
	return true;
}

static void
take_grant(struct portmap_machine *m, size_t index, const struct portmap_answer *a,
	   uint64_t now)
{
	struct portmap_machine_proto *p = &m->protos[index];
	char text[NETADDR_TEXT_MAX];
	bool fresh = !m->mapped;

	if (fresh || !netendpoint_equal(&m->external, &a->external)) {
		m->changed = true;
		log_info("portmap: %s mapped %s -> local port %u, lifetime %u s%s", proto_name(p),
			 netendpoint_format(&a->external, text, sizeof(text)), m->internal_port,
			 a->lifetime_s, fresh ? "" : " (external endpoint moved)");
	} else {
		log_debug("portmap: %s renewed %s, lifetime %u s", proto_name(p),
			  netendpoint_format(&a->external, text, sizeof(text)), a->lifetime_s);
	}
	if (fresh)
		m->renewals = 0;
	else
		m->renewals++;
	p->usable = true;
	p->status.error[0] = '\0';
	p->status.result_code = 0;
	m->mapped = true;
	m->mapped_index = index;
	m->external = a->external;
	m->previous_port = a->external.port;
	m->granted_s = a->lifetime_s;
	schedule_mapping(m, now);
	m->seeking = false;
	m->backoff_ns = 0;
	m->retry_at_ns = 0;
}

/* ---- answers ---- */

static void
note_epoch(struct portmap_machine *m, size_t index, const struct portmap_answer *a,
	   uint64_t now)
{
	struct portmap_machine_proto *p = &m->protos[index];
	bool lost;

	if (!a->has_epoch)
		return;
	lost = p->protocol == CONFIG_PORTMAP_PCP ? portmap_epoch_lost_pcp(&p->epoch, a->epoch, now)
						 : portmap_epoch_lost_natpmp(&p->epoch, a->epoch, now);
	portmap_epoch_note(&p->epoch, a->epoch, now);
	if (lost && m->mapped && m->mapped_index == index && a->op != PORTMAP_OP_MAP) {
		/* the gateway restarted: it forgot the mapping, ask for it again now */
		log_warn("portmap: %s: gateway epoch went back (now %u s): mapping again",
			 proto_name(p), a->epoch);
		m->renew_at_ns = now;
	}
}

static void
note_probe(struct portmap_machine_proto *p, const struct portmap_answer *a, uint64_t now)
{
	struct portmap_protocol_status *s = &p->status;
	bool was_usable = p->usable, was_tried = s->tried;

	s->tried = true;
	s->last_probe_ns = now;
	s->answered = a->outcome == PORTMAP_GRANTED || a->outcome == PORTMAP_REFUSED;
	s->result_code = a->result_code;
	p->usable = a->outcome == PORTMAP_GRANTED;
	snprintf(s->error, sizeof(s->error), "%s", p->usable ? "" : a->error);
	if (p->usable)
		s->external = a->external.addr;
	if (!was_tried || was_usable != p->usable) {
		if (p->usable)
			log_info("portmap: %s answers", proto_name(p));
		else
			log_info("portmap: %s not usable: %s", proto_name(p), s->error);
	}
}

void
portmap_machine_answer(struct portmap_machine *m, size_t index,
		       const struct portmap_answer *a, uint64_t now)
{
	struct portmap_machine_proto *p = &m->protos[index];
	bool ours = m->mapped && m->mapped_index == index;
	char why[PORTMAP_ERROR_MAX + 32];

	p->op = PORTMAP_OP_NONE; /* the operation ended: the client is free */
	note_epoch(m, index, a, now);
	switch (a->op) {
	case PORTMAP_OP_PROBE:
		note_probe(p, a, now);
		if (ours && a->outcome == PORTMAP_NO_ANSWER) {
			lose_mapping(m, "the gateway stopped answering");
			seek_start(m);
		}
		break;
	case PORTMAP_OP_CHECK:
		note_probe(p, a, now);
		if (!ours)
			break;
		if (a->outcome == PORTMAP_REFUSED) {
			/* the gateway no longer holds it (a UPnP entry gone): map again now */
			log_warn("portmap: %s: %s: mapping again", proto_name(p), a->error);
			m->renew_at_ns = now;
		} else if (a->outcome == PORTMAP_GRANTED &&
			   portmap_address_usable(&a->external.addr) &&
			   !netaddr_equal(&a->external.addr, &m->external.addr)) {
			/* the gateway's own address changed (a new WAN lease): the renewal's
			 * answer carries the endpoint to advertise now */
			log_info("portmap: %s: the gateway's external address changed: renewing",
				 proto_name(p));
			m->renew_at_ns = now;
		} else if (a->outcome != PORTMAP_GRANTED) {
			lose_mapping(m, "the gateway stopped answering");
			seek_start(m);
		}
		break;
	case PORTMAP_OP_MAP:
		if (a->outcome == PORTMAP_GRANTED && !grant_usable(m, p, a)) {
			struct portmap_answer refused = *a;

			refused.outcome = PORTMAP_REFUSED;
			snprintf(refused.error, sizeof(refused.error), "grant with no usable endpoint");
			portmap_machine_answer(m, index, &refused, now);
			return;
		}
		if (ours) {
			if (a->outcome == PORTMAP_GRANTED) {
				take_grant(m, index, a, now);
				break;
			}
			snprintf(why, sizeof(why), "renewal: %s", a->error);
			lose_mapping(m, why);
			/* refused: the gateway forgot it, map again at once; silent: the search
			 * finds nothing and backs off */
			seek_start(m);
			break;
		}
		if (m->seeking && m->seek_sent && m->seek == index) {
			m->seek_sent = false;
			if (a->outcome == PORTMAP_GRANTED) {
				take_grant(m, index, a, now);
			} else {
				p->usable = false;
				snprintf(p->status.error, sizeof(p->status.error), "%s", a->error);
				p->status.result_code = a->result_code;
				log_info("portmap: %s: no mapping: %s", proto_name(p), a->error);
				m->seek++;
			}
		}
		break;
	default:
		break;
	}
}

/* ---- the turn ---- */

static void
seek_step(struct portmap_machine *m, uint64_t now)
{
	while (m->seeking && !m->seek_sent) {
		struct portmap_machine_proto *p;

		if (m->seek >= m->count) {
			m->seeking = false;
			m->backoff_ns = portmap_backoff_next_ns(m->backoff_ns);
			m->retry_at_ns = now + m->backoff_ns;
			log_info("portmap: no protocol granted a mapping; again in %llu s",
				 (unsigned long long)(m->backoff_ns / PORTMAP_NS_PER_S));
			break;
		}
		p = &m->protos[m->seek];
		if (p->probe_wanted || p->op != PORTMAP_OP_NONE)
			break; /* its probe (or another operation) first */
		if (!p->usable) {
			m->seek++;
			continue;
		}
		m->seek_sent = true;
		start_op(m, m->seek, PORTMAP_OP_MAP);
	}
}

size_t
portmap_machine_advance(struct portmap_machine *m, uint64_t now, struct portmap_action *actions)
{
	size_t n;

	if (m->mapped) {
		struct portmap_machine_proto *p = &m->protos[m->mapped_index];

		if (m->expires_ns != 0 && now >= m->expires_ns) {
			lose_mapping(m, "expired before a renewal was granted");
			seek_start(m);
		} else if (p->op == PORTMAP_OP_NONE && m->renew_at_ns != 0 &&
			   now >= m->renew_at_ns) {
			m->renew_at_ns = 0; /* set again by the grant */
			start_op(m, m->mapped_index, PORTMAP_OP_MAP);
		} else if (p->op == PORTMAP_OP_NONE && !p->probe_wanted && now >= m->check_at_ns) {
			m->check_at_ns = now + portmap_check_interval_ns(m->granted_s);
			start_op(m, m->mapped_index, PORTMAP_OP_CHECK);
		}
	}
	if (!m->mapped && !m->seeking && m->retry_at_ns != 0 && now >= m->retry_at_ns)
		seek_start(m);
	for (size_t i = 0; i < m->count; i++) {
		struct portmap_machine_proto *p = &m->protos[i];

		if (p->probe_wanted && p->op == PORTMAP_OP_NONE) {
			p->probe_wanted = false;
			if (p->available)
				start_op(m, i, PORTMAP_OP_PROBE);
		}
	}
	seek_step(m, now);
	n = m->action_count;
	memcpy(actions, m->actions, n * sizeof(actions[0]));
	m->action_count = 0;
	return n;
}



uint64_t
portmap_machine_deadline(const struct portmap_machine *m)
{
	if (m->mapped)
		return loop_earliest(loop_earliest(m->renew_at_ns, m->expires_ns), m->check_at_ns);
	return m->seeking ? 0 : m->retry_at_ns;
}

void
portmap_machine_init(struct portmap_machine *m, const enum config_port_mapping *protocols,
		     size_t count, uint16_t internal_port, uint32_t lifetime_s)
{
	memset(m, 0, sizeof(*m));
	m->internal_port = internal_port;
	m->lifetime_s = lifetime_s != 0 ? lifetime_s : PORTMAP_DEFAULT_LIFETIME_S;
	m->count = count < PORTMAP_PROTOCOLS ? count : PORTMAP_PROTOCOLS;
	for (size_t i = 0; i < m->count; i++) {
		m->protos[i].protocol = protocols[i];
		m->protos[i].available = true;
		m->protos[i].status.configured = true;
	}
	if (m->count > 0)
		seek_start(m);
}

void
portmap_machine_unavailable(struct portmap_machine *m, size_t index, const char *why)
{
	struct portmap_machine_proto *p = &m->protos[index];

	p->available = false;
	p->usable = false;
	snprintf(p->status.error, sizeof(p->status.error), "%s", why);
}

void
portmap_machine_available(struct portmap_machine *m, size_t index)
{
	struct portmap_machine_proto *p = &m->protos[index];

	if (p->available)
		return;
	p->available = true;
	p->status.error[0] = '\0';
	p->probe_wanted = true;
	/* a search that passed it over, or one backing off, looks again (not one whose MAP is
	 * out: its answer would be taken for nobody's) */
	if (!m->mapped && !m->seek_sent)
		seek_start(m);
}

void
portmap_machine_probe(struct portmap_machine *m)
{
	for (size_t i = 0; i < m->count; i++)
		m->protos[i].probe_wanted = true;
	if (!m->mapped && !m->seeking && m->count > 0)
		seek_start(m);
}

bool
portmap_machine_take_change(struct portmap_machine *m)
{
	bool changed = m->changed;

	m->changed = false;
	return changed;
}

void
portmap_machine_status(const struct portmap_machine *m, struct portmap_status *out)
{
	memset(out, 0, sizeof(*out));
	out->mapped = m->mapped;
	if (m->mapped) {
		out->protocol = m->protos[m->mapped_index].protocol;
		out->external = m->external;
		out->lifetime_s = m->granted_s;
		out->expires_ns = m->expires_ns;
		out->renewed_ns = m->renewed_ns;
		out->renewals = m->renewals;
	}
	out->probing = m->seeking;
	for (size_t i = 0; i < m->count; i++) {
		const struct portmap_machine_proto *p = &m->protos[i];

		if (p->op == PORTMAP_OP_PROBE || p->probe_wanted)
			out->probing = true;
		out->protocols[p->protocol] = p->status;
	}
	memcpy(out->dropped, m->dropped, sizeof(out->dropped));
}

bool
portmap_machine_release(const struct portmap_machine *m, struct portmap_action *action)
{
	size_t index;

	if (m->mapped) {
		index = m->mapped_index;
	} else {
		/* a grant may be on its way: NAT-PMP deletes by internal port, PCP by nonce (the
		 * UPnP helper deletes what it made itself when it stops) */
		for (index = 0; index < m->count; index++)
			if (m->protos[index].op == PORTMAP_OP_MAP &&
			    m->protos[index].protocol != CONFIG_PORTMAP_UPNP)
				break;
		if (index == m->count)
			return false;
	}
	memset(action, 0, sizeof(*action));
	action->index = index;
	action->request.op = PORTMAP_OP_UNMAP;
	action->request.internal_port = m->internal_port;
	action->request.external_port = m->external.port;
	action->request.external_addr = m->external.addr;
	return true;
}
