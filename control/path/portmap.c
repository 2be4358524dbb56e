/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port mapper's owner: the protocol clients (portmap_client.h) carry out operations, this
 * file decides which, from their answers. Everything here runs on the loop's thread.
 *
 * The search: probe every configured protocol (all at once: they are independent and the
 * slowest, UPnP discovery, sets the pace), then walk them in configuration order; the first
 * whose probe answered with success is asked for a mapping; a refusal moves on to the next.
 * When none grants one, the search starts again after a back-off.
 * The mapping: renewed at half-life asking for the same external port, checked between
 * renewals; lost when a renewal is refused or the gateway's state is seen to be gone (then
 * made again at once), or when the gateway stops answering (then searched for after back-off).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "loop.h"
#include "portmap.h"
#include "portmap_check.h"
#include "portmap_client.h"
#include "portmap_schedule.h"

struct portmap;

struct portmap_proto {
	struct portmap *owner;
	enum config_port_mapping protocol;
	const struct portmap_client_ops *ops;
	void *client;
	int fd;
	enum portmap_op op; /* under way; PORTMAP_OP_NONE when idle */
	bool probe_wanted;
	bool usable; /* the last probe or check answered with success */
	struct portmap_epoch epoch;
	struct portmap_protocol_status status;
};

struct portmap {
	struct loop *loop;
	struct netaddr local, gateway;
	uint16_t internal_port;
	uint32_t lifetime_s;
	void (*on_change)(void *ctx);
	void *ctx;
	struct portmap_proto protos[PORTMAP_PROTOCOLS];
	size_t count;
	int timer;
	uint64_t dropped[PORTMAP_DROPS];
	bool changed; /* the mapped endpoint changed this turn: on_change at its end */

	/* the mapping */
	bool mapped;
	size_t mapped_index;
	struct netendpoint external;
	uint32_t granted_s;
	uint64_t renewed_ns, expires_ns, renew_at_ns, check_at_ns;
	uint32_t renewals;
	/* what we had, asked for again after a loss */
	uint16_t previous_port;

	/* the search */
	bool seeking;
	size_t seek;
	bool seek_sent;
	uint64_t retry_at_ns;
	uint64_t backoff_ns;
};

static const struct portmap_client_ops *const protocol_ops[PORTMAP_PROTOCOLS] = {
	[CONFIG_PORTMAP_NATPMP] = &portmap_natpmp_ops,
	[CONFIG_PORTMAP_PCP] = &portmap_pcp_ops,
	[CONFIG_PORTMAP_UPNP] = &portmap_upnp_ops,
};

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
op_name(enum portmap_op op)
{
	switch (op) {
	case PORTMAP_OP_PROBE:
		return "probe";
	case PORTMAP_OP_CHECK:
		return "check";
	case PORTMAP_OP_MAP:
		return "map";
	case PORTMAP_OP_UNMAP:
		return "unmap";
	default:
		return "none";
	}
}

static const char *
proto_name(const struct portmap_proto *p)
{
	return portmap_protocol_name(p->protocol);
}

static void on_answer(struct portmap *pm, size_t index, const struct portmap_answer *answer,
		      uint64_t now);

/* ---- starting operations ---- */

static void
start_op(struct portmap *pm, size_t index, enum portmap_op op, uint64_t now)
{
	struct portmap_proto *p = &pm->protos[index];
	struct portmap_request request = {.op = op, .internal_port = pm->internal_port};
	struct portmap_answer answer;
	bool renewal = pm->mapped && pm->mapped_index == index;

	switch (op) {
	case PORTMAP_OP_MAP:
		request.lifetime_s = pm->lifetime_s;
		if (renewal) {
			request.external_port = pm->external.port;
			request.external_addr = pm->external.addr;
		} else {
			/* the port we had before a loss, else the internal one: a gateway that
			 * grants it keeps the endpoint peers may already know */
			request.external_port =
				pm->previous_port != 0 ? pm->previous_port : pm->internal_port;
		}
		break;
	case PORTMAP_OP_CHECK:
	case PORTMAP_OP_UNMAP:
		request.external_port = pm->external.port;
		request.external_addr = pm->external.addr;
		break;
	default:
		break;
	}
	p->op = op;
	if (p->client == NULL) {
		p->op = PORTMAP_OP_NONE;
		return; /* could not start: never usable, its status says why */
	}
	if (p->ops->start(p->client, &request, now, &answer) != 0) {
		p->op = PORTMAP_OP_NONE;
		log_warn("portmap: %s: %s: %s", proto_name(p), op_name(op), answer.error);
		on_answer(pm, index, &answer, now);
	}
}

/* ---- the mapping ---- */

static void
schedule_mapping(struct portmap *pm, uint64_t now)
{
	pm->renewed_ns = now;
	pm->renew_at_ns = portmap_renew_at(now, pm->granted_s);
	pm->expires_ns = portmap_expires_at(now, pm->granted_s);
	pm->check_at_ns = now + portmap_check_interval_ns(pm->granted_s);
}

static void
lose_mapping(struct portmap *pm, const char *why)
{
	char text[NETADDR_TEXT_MAX];

	if (!pm->mapped)
		return;
	log_warn("portmap: %s mapping %s lost: %s", proto_name(&pm->protos[pm->mapped_index]),
		 netendpoint_format(&pm->external, text, sizeof(text)), why);
	pm->previous_port = pm->external.port;
	pm->mapped = false;
	memset(&pm->external, 0, sizeof(pm->external));
	pm->renew_at_ns = pm->expires_ns = pm->check_at_ns = 0;
	pm->changed = true;
}

static void
seek_start(struct portmap *pm)
{
	pm->seeking = true;
	pm->seek = 0;
	pm->seek_sent = false;
	pm->retry_at_ns = 0;
	for (size_t i = 0; i < pm->count; i++)
		pm->protos[i].probe_wanted = true;
}

/* A granted MAP answer we can use; false (counted) when its endpoint or lifetime is not. */
static bool
grant_usable(struct portmap *pm, const struct portmap_proto *p, const struct portmap_answer *a)
{
	if (!portmap_external_usable(&a->external) ||
	    (a->lifetime_s == 0 && p->protocol != CONFIG_PORTMAP_UPNP)) {
		pm->dropped[PORTMAP_DROP_EXTERNAL]++;
		return false;
	}
	return true;
}

static void
take_grant(struct portmap *pm, size_t index, const struct portmap_answer *a, uint64_t now)
{
	struct portmap_proto *p = &pm->protos[index];
	char text[NETADDR_TEXT_MAX];
	bool fresh = !pm->mapped;

	if (fresh || !netendpoint_equal(&pm->external, &a->external)) {
		pm->changed = true;
		log_info("portmap: %s mapped %s -> local port %u, lifetime %u s%s", proto_name(p),
			 netendpoint_format(&a->external, text, sizeof(text)), pm->internal_port,
			 a->lifetime_s, fresh ? "" : " (external endpoint moved)");
	} else {
		log_debug("portmap: %s renewed %s, lifetime %u s", proto_name(p),
			  netendpoint_format(&a->external, text, sizeof(text)), a->lifetime_s);
	}
	if (fresh)
		pm->renewals = 0;
	else
		pm->renewals++;
	p->usable = true;
	p->status.error[0] = '\0';
	p->status.result_code = 0;
	pm->mapped = true;
	pm->mapped_index = index;
	pm->external = a->external;
	pm->previous_port = a->external.port;
	pm->granted_s = a->lifetime_s;
	schedule_mapping(pm, now);
	pm->seeking = false;
	pm->backoff_ns = 0;
	pm->retry_at_ns = 0;
}

/* ---- answers ---- */

static void
note_epoch(struct portmap *pm, size_t index, const struct portmap_answer *a, uint64_t now)
{
	struct portmap_proto *p = &pm->protos[index];
	bool lost;

	if (!a->has_epoch)
		return;
	lost = p->protocol == CONFIG_PORTMAP_PCP ? portmap_epoch_lost_pcp(&p->epoch, a->epoch, now)
						 : portmap_epoch_lost_natpmp(&p->epoch, a->epoch, now);
	portmap_epoch_note(&p->epoch, a->epoch, now);
	if (lost && pm->mapped && pm->mapped_index == index && a->op != PORTMAP_OP_MAP) {
		/* the gateway restarted: it forgot the mapping, ask for it again now */
		log_warn("portmap: %s: gateway epoch went back (now %u s): mapping again",
			 proto_name(p), a->epoch);
		pm->renew_at_ns = now;
	}
}

static void
note_probe(struct portmap_proto *p, const struct portmap_answer *a, uint64_t now)
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

static void
on_answer(struct portmap *pm, size_t index, const struct portmap_answer *a, uint64_t now)
{
	struct portmap_proto *p = &pm->protos[index];
	bool ours = pm->mapped && pm->mapped_index == index;
	char why[PORTMAP_ERROR_MAX + 32];

	note_epoch(pm, index, a, now);
	switch (a->op) {
	case PORTMAP_OP_PROBE:
		note_probe(p, a, now);
		if (ours && a->outcome == PORTMAP_NO_ANSWER) {
			lose_mapping(pm, "the gateway stopped answering");
			seek_start(pm);
		}
		break;
	case PORTMAP_OP_CHECK:
		note_probe(p, a, now);
		if (!ours)
			break;
		if (a->outcome == PORTMAP_REFUSED) {
			/* the gateway no longer holds it (a UPnP entry gone): map again now */
			log_warn("portmap: %s: %s: mapping again", proto_name(p), a->error);
			pm->renew_at_ns = now;
		} else if (a->outcome == PORTMAP_GRANTED && a->external.addr.family != 0 &&
			   !netaddr_equal(&a->external.addr, &pm->external.addr)) {
			/* the gateway's own address changed (a new WAN lease): the renewal's
			 * answer carries the endpoint to advertise now */
			log_info("portmap: %s: the gateway's external address changed: renewing",
				 proto_name(p));
			pm->renew_at_ns = now;
		} else if (a->outcome != PORTMAP_GRANTED) {
			lose_mapping(pm, "the gateway stopped answering");
			seek_start(pm);
		}
		break;
	case PORTMAP_OP_MAP:
		if (a->outcome == PORTMAP_GRANTED && !grant_usable(pm, p, a)) {
			struct portmap_answer refused = *a;

			refused.outcome = PORTMAP_REFUSED;
			snprintf(refused.error, sizeof(refused.error), "grant with no usable endpoint");
			on_answer(pm, index, &refused, now);
			return;
		}
		if (ours) {
			if (a->outcome == PORTMAP_GRANTED) {
				take_grant(pm, index, a, now);
				break;
			}
			snprintf(why, sizeof(why), "renewal: %s", a->error);
			lose_mapping(pm, why);
			/* refused: the gateway forgot it, map again at once; silent: the search
			 * finds nothing and backs off */
			seek_start(pm);
			break;
		}
		if (pm->seeking && pm->seek_sent && pm->seek == index) {
			pm->seek_sent = false;
			if (a->outcome == PORTMAP_GRANTED) {
				take_grant(pm, index, a, now);
			} else {
				p->usable = false;
				snprintf(p->status.error, sizeof(p->status.error), "%s", a->error);
				p->status.result_code = a->result_code;
				log_info("portmap: %s: no mapping: %s", proto_name(p), a->error);
				pm->seek++;
			}
		}
		break;
	default:
		break;
	}
}

/* ---- the turn ---- */

static void
seek_step(struct portmap *pm, uint64_t now)
{
	while (pm->seeking && !pm->seek_sent) {
		struct portmap_proto *p;

		if (pm->seek >= pm->count) {
			pm->seeking = false;
			pm->backoff_ns = portmap_backoff_next_ns(pm->backoff_ns);
			pm->retry_at_ns = now + pm->backoff_ns;
			log_info("portmap: no protocol granted a mapping; again in %llu s",
				 (unsigned long long)(pm->backoff_ns / PORTMAP_NS_PER_S));
			break;
		}
		p = &pm->protos[pm->seek];
		if (p->probe_wanted || p->op != PORTMAP_OP_NONE)
			break; /* its probe (or another operation) first */
		if (!p->usable) {
			pm->seek++;
			continue;
		}
		pm->seek_sent = true;
		start_op(pm, pm->seek, PORTMAP_OP_MAP, now);
	}
}

static void
advance(struct portmap *pm, uint64_t now)
{
	if (pm->mapped) {
		struct portmap_proto *p = &pm->protos[pm->mapped_index];

		if (pm->expires_ns != 0 && now >= pm->expires_ns) {
			lose_mapping(pm, "expired before a renewal was granted");
			seek_start(pm);
		} else if (p->op == PORTMAP_OP_NONE && pm->renew_at_ns != 0 &&
			   now >= pm->renew_at_ns) {
			pm->renew_at_ns = 0; /* set again by the grant */
			start_op(pm, pm->mapped_index, PORTMAP_OP_MAP, now);
		} else if (p->op == PORTMAP_OP_NONE && !p->probe_wanted && now >= pm->check_at_ns) {
			pm->check_at_ns = now + portmap_check_interval_ns(pm->granted_s);
			start_op(pm, pm->mapped_index, PORTMAP_OP_CHECK, now);
		}
	}
	if (!pm->mapped && !pm->seeking && pm->retry_at_ns != 0 && now >= pm->retry_at_ns)
		seek_start(pm);
	for (size_t i = 0; i < pm->count; i++) {
		struct portmap_proto *p = &pm->protos[i];

		if (p->probe_wanted && p->op == PORTMAP_OP_NONE) {
			p->probe_wanted = false;
			if (p->client != NULL)
				start_op(pm, i, PORTMAP_OP_PROBE, now);
		}
	}
	seek_step(pm, now);
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static uint64_t
next_deadline(const struct portmap *pm, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < pm->count; i++)
		if (pm->protos[i].client != NULL)
			next = earliest(next,
					pm->protos[i].ops->deadline(pm->protos[i].client, now));
	if (pm->mapped) {
		next = earliest(next, pm->renew_at_ns);
		next = earliest(next, pm->expires_ns);
		next = earliest(next, pm->check_at_ns);
	} else if (!pm->seeking) {
		next = earliest(next, pm->retry_at_ns);
	}
	return next;
}

static void
poll_proto(struct portmap *pm, size_t index, uint64_t now)
{
	struct portmap_proto *p = &pm->protos[index];
	struct portmap_answer answer;

	if (p->client == NULL)
		return;
	while (p->ops->poll(p->client, now, &answer)) {
		p->op = PORTMAP_OP_NONE;
		on_answer(pm, index, &answer, now);
	}
}

static void
end_turn(struct portmap *pm, uint64_t now)
{
	advance(pm, now);
	if (pm->changed) {
		pm->changed = false;
		if (pm->on_change != NULL)
			pm->on_change(pm->ctx);
	}
}

static void
on_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct portmap_proto *p = arg;
	struct portmap *pm = p->owner;
	uint64_t now = loop_now();

	(void)fd;
	(void)events;
	poll_proto(pm, (size_t)(p - pm->protos), now);
	end_turn(pm, now);
	loop_timer_at(loop, pm->timer, next_deadline(pm, now));
}

static uint64_t
on_timer(struct loop *loop, uint64_t now, void *arg)
{
	struct portmap *pm = arg;

	(void)loop;
	for (size_t i = 0; i < pm->count; i++)
		poll_proto(pm, i, now);
	end_turn(pm, now);
	return next_deadline(pm, now);
}

/* ---- life ---- */

struct portmap *
portmap_create(const struct portmap_config *config)
{
	struct portmap *pm;
	char text[NETADDR_TEXT_MAX];

	if (config->loop == NULL || config->internal_port == 0 ||
	    config->protocol_count > PORTMAP_PROTOCOLS ||
	    (config->protocol_count > 0 && config->protocols == NULL)) {
		log_warn("portmap: create: invalid configuration");
		return NULL;
	}
	pm = calloc(1, sizeof(*pm));
	if (pm == NULL) {
		log_warn("portmap: create: %s", strerror(ENOMEM));
		return NULL;
	}
	pm->loop = config->loop;
	pm->local = config->local;
	pm->gateway = config->gateway;
	pm->internal_port = config->internal_port;
	pm->lifetime_s = config->lifetime_s != 0 ? config->lifetime_s : PORTMAP_DEFAULT_LIFETIME_S;
	pm->on_change = config->on_change;
	pm->ctx = config->ctx;
	pm->timer = -1;
	for (size_t i = 0; i < config->protocol_count; i++) {
		enum config_port_mapping protocol = config->protocols[i];
		struct portmap_client_config cc = {
			.local = config->local,
			.gateway = config->gateway,
			.dropped = pm->dropped,
		};
		struct portmap_proto *p = &pm->protos[pm->count];

		if ((unsigned)protocol >= PORTMAP_PROTOCOLS) {
			log_warn("portmap: create: unknown protocol %d", (int)protocol);
			goto fail;
		}
		for (size_t j = 0; j < pm->count; j++) {
			if (pm->protos[j].protocol == protocol) {
				log_warn("portmap: create: %s listed twice",
					 portmap_protocol_name(protocol));
				goto fail;
			}
		}
		p->owner = pm;
		p->protocol = protocol;
		p->ops = protocol_ops[protocol];
		p->fd = -1;
		p->status.configured = true;
		pm->count++;
		p->client = p->ops->create(&cc);
		if (p->client == NULL) {
			/* this protocol is left out (an IPv6 address for NAT-PMP or UPnP, a socket
			 * that could not be bound): the others still serve */
			log_warn("portmap: %s: could not start, left out", portmap_protocol_name(protocol));
			snprintf(p->status.error, sizeof(p->status.error), "could not start (see log)");
			continue;
		}
		p->fd = p->ops->fd(p->client);
		if (loop_add_fd(pm->loop, p->fd, EPOLLIN, on_readable, p) != 0) {
			p->fd = -1;
			goto fail;
		}
	}
	pm->timer = loop_add_timer(pm->loop, on_timer, pm, 0);
	if (pm->timer < 0) {
		log_warn("portmap: create: no loop timer left");
		goto fail;
	}
	if (pm->count > 0)
		seek_start(pm);
	log_info("portmap: gateway %s, local port %u, %zu protocol(s)",
		 netaddr_format(&pm->gateway, text, sizeof(text)), pm->internal_port, pm->count);
	return pm;

fail:
	portmap_destroy(pm);
	return NULL;
}

/* Delete the mapping, waiting (bounded) for the gateway to confirm: shutdown is the one place
 * this module waits, because nothing runs after it to finish the job. */
static void
release_mapping(struct portmap *pm)
{
	struct portmap_proto *p = NULL;
	struct portmap_answer answer;
	char text[NETADDR_TEXT_MAX];
	uint64_t now = loop_now(), until;
	size_t index = 0;
	bool done = false;

	if (pm->mapped) {
		index = pm->mapped_index;
	} else {
		/* a grant may be on its way: NAT-PMP deletes by internal port, PCP by nonce (the
		 * UPnP helper deletes what it made itself when it stops) */
		for (index = 0; index < pm->count; index++)
			if (pm->protos[index].op == PORTMAP_OP_MAP &&
			    pm->protos[index].protocol != CONFIG_PORTMAP_UPNP)
				break;
		if (index == pm->count)
			return;
	}
	p = &pm->protos[index];
	until = now + (uint64_t)(p->protocol == CONFIG_PORTMAP_UPNP ? PORTMAP_UPNP_RELEASE_MS
								    : PORTMAP_RELEASE_MS + 50) *
			      PORTMAP_NS_PER_MS;
	start_op(pm, index, PORTMAP_OP_UNMAP, now);
	if (p->op != PORTMAP_OP_UNMAP)
		return; /* failed at once, logged */
	while (!done && (now = loop_now()) < until) {
		uint64_t wake = earliest(p->ops->deadline(p->client, now), until);
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		int ms = wake > now ? (int)((wake - now + PORTMAP_NS_PER_MS - 1) / PORTMAP_NS_PER_MS)
				    : 0;

		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			break;
		now = loop_now();
		while (!done && p->ops->poll(p->client, now, &answer))
			done = answer.op == PORTMAP_OP_UNMAP;
	}
	p->op = PORTMAP_OP_NONE;
	if (done && answer.outcome == PORTMAP_GRANTED)
		log_info("portmap: %s mapping %s deleted", proto_name(p),
			 netendpoint_format(&pm->external, text, sizeof(text)));
	else
		log_warn("portmap: %s mapping %s: delete not confirmed: %s", proto_name(p),
			 netendpoint_format(&pm->external, text, sizeof(text)),
			 done ? answer.error : "no answer in time");
}

void
portmap_destroy(struct portmap *pm)
{
	if (pm == NULL)
		return;
	release_mapping(pm);
	if (pm->timer >= 0)
		loop_del_timer(pm->loop, pm->timer);
	for (size_t i = 0; i < pm->count; i++) {
		struct portmap_proto *p = &pm->protos[i];

		if (p->fd >= 0)
			loop_del_fd(pm->loop, p->fd);
		if (p->client != NULL)
			p->ops->destroy(p->client);
	}
	free(pm);
}

void
portmap_probe(struct portmap *pm)
{
	for (size_t i = 0; i < pm->count; i++)
		pm->protos[i].probe_wanted = true;
	if (!pm->mapped && !pm->seeking && pm->count > 0)
		seek_start(pm);
	/* on the next turn, not from inside whoever called (maybe our own on_change) */
	loop_timer_at(pm->loop, pm->timer, loop_now());
}

void
portmap_status(const struct portmap *pm, struct portmap_status *out)
{
	memset(out, 0, sizeof(*out));
	out->mapped = pm->mapped;
	if (pm->mapped) {
		out->protocol = pm->protos[pm->mapped_index].protocol;
		out->external = pm->external;
		out->lifetime_s = pm->granted_s;
		out->expires_ns = pm->expires_ns;
		out->renewed_ns = pm->renewed_ns;
		out->renewals = pm->renewals;
	}
	out->probing = pm->seeking;
	for (size_t i = 0; i < pm->count; i++) {
		const struct portmap_proto *p = &pm->protos[i];

		if (p->op == PORTMAP_OP_PROBE || p->probe_wanted)
			out->probing = true;
		out->protocols[p->protocol] = p->status;
	}
	memcpy(out->dropped, pm->dropped, sizeof(out->dropped));
}
