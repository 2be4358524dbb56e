/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port mapper's owner: carries out what the state machine (portmap_machine.h) decides, on
 * the protocol clients (portmap_client.h), and ties both to the control loop: one descriptor per
 * client, one timer for all. Everything here runs on the loop's thread.
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
#include "portmap_client.h"
#include "portmap_machine.h"
#include "portmap_schedule.h"

struct portmap;

struct portmap_slot {
	struct portmap *owner;
	const struct portmap_client_ops *ops;
	void *client; /* NULL: could not start */
	int fd;
};

struct portmap {
	struct loop *loop;
	void (*on_change)(void *ctx);
	void *ctx;
	struct portmap_machine machine;
	struct portmap_slot slots[PORTMAP_PROTOCOLS]; /* as machine.protos */
	struct portmap_client_config client_config;
	int timer;
	uint64_t restart_at_ns; /* next try at the clients that could not start; 0 = none */
};

static const struct portmap_client_ops *const protocol_ops[PORTMAP_PROTOCOLS] = {
	[CONFIG_PORTMAP_NATPMP] = &portmap_natpmp_ops,
	[CONFIG_PORTMAP_PCP] = &portmap_pcp_ops,
	[CONFIG_PORTMAP_UPNP] = &portmap_upnp_ops,
};

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

/* Start what the machine decided; a start that fails at once is its answer, which may lead the
 * machine to something else (the next protocol), so round again until nothing fails. */
static void
run_machine(struct portmap *pm, uint64_t now)
{
	struct portmap_action actions[PORTMAP_MACHINE_ACTIONS];
	bool failed;

	do {
		size_t n = portmap_machine_advance(&pm->machine, now, actions);

		failed = false;
		for (size_t i = 0; i < n; i++) {
			struct portmap_slot *s = &pm->slots[actions[i].index];
			struct portmap_answer answer;

			if (s->ops->start(s->client, &actions[i].request, now, &answer) == 0)
				continue;
			log_warn("portmap: %s: %s: %s",
				 portmap_protocol_name(pm->machine.protos[actions[i].index].protocol),
				 op_name(actions[i].request.op), answer.error);
			portmap_machine_answer(&pm->machine, actions[i].index, &answer, now);
			failed = true;
		}
	} while (failed);
}

static uint64_t
next_deadline(const struct portmap *pm, uint64_t now)
{
	uint64_t next = loop_earliest(portmap_machine_deadline(&pm->machine), pm->restart_at_ns);

	for (size_t i = 0; i < pm->machine.count; i++)
		if (pm->slots[i].client != NULL)
			next = loop_earliest(next, pm->slots[i].ops->deadline(pm->slots[i].client, now));
	return next;
}

static void
poll_slot(struct portmap *pm, size_t index, uint64_t now)
{
	struct portmap_slot *s = &pm->slots[index];
	struct portmap_answer answer;

	if (s->client == NULL)
		return;
	while (s->ops->poll(s->client, now, &answer))
		portmap_machine_answer(&pm->machine, index, &answer, now);
}

static void
end_turn(struct portmap *pm, uint64_t now)
{
	run_machine(pm, now);
	if (portmap_machine_take_change(&pm->machine) && pm->on_change != NULL)
		pm->on_change(pm->ctx);
}

static void
on_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct portmap_slot *s = arg;
	struct portmap *pm = s->owner;
	uint64_t now = loop_now();

	(void)fd;
	(void)events;
	poll_slot(pm, (size_t)(s - pm->slots), now);
	end_turn(pm, now);
	loop_timer_at(loop, pm->timer, next_deadline(pm, now));
}

static void restart_clients(struct portmap *pm, uint64_t now);

static uint64_t
on_timer(struct loop *loop, uint64_t now, void *arg)
{
	struct portmap *pm = arg;

	(void)loop;
	restart_clients(pm, now);
	for (size_t i = 0; i < pm->machine.count; i++)
		poll_slot(pm, i, now);
	end_turn(pm, now);
	return next_deadline(pm, now);
}

/* Start a slot's client. 0 when started or left for later (a socket that cannot be bound yet:
 * the public address may not be on its TAP yet), -1 when the loop refused the descriptor. */
static int
start_client(struct portmap *pm, size_t index, uint64_t now)
{
	struct portmap_slot *s = &pm->slots[index];
	const char *name = portmap_protocol_name(pm->machine.protos[index].protocol);

	s->client = s->ops->create(&pm->client_config);
	if (s->client == NULL) {
		/* the others still serve; this one is tried again now and then */
		log_warn("portmap: %s: could not start, again in %d s", name,
			 PORTMAP_RESTART_CLIENT_S);
		portmap_machine_unavailable(&pm->machine, index, "could not start (see log)");
		pm->restart_at_ns = now + PORTMAP_RESTART_CLIENT_S * PORTMAP_NS_PER_S;
		return 0;
	}
	if (loop_add_fd(pm->loop, s->ops->fd(s->client), EPOLLIN, on_readable, s) != 0) {
		s->ops->destroy(s->client);
		s->client = NULL;
		return -1;
	}
	s->fd = s->ops->fd(s->client);
	portmap_machine_available(&pm->machine, index);
	return 0;
}

static void
restart_clients(struct portmap *pm, uint64_t now)
{
	if (pm->restart_at_ns == 0 || now < pm->restart_at_ns)
		return;
	pm->restart_at_ns = 0;
	for (size_t i = 0; i < pm->machine.count; i++)
		if (pm->slots[i].client == NULL && start_client(pm, i, now) != 0)
			log_warn("portmap: %s: loop refused its descriptor",
				 portmap_protocol_name(pm->machine.protos[i].protocol));
}

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
	for (size_t i = 0; i < config->protocol_count; i++) {
		if ((unsigned)config->protocols[i] >= PORTMAP_PROTOCOLS) {
			log_warn("portmap: create: unknown protocol %d", (int)config->protocols[i]);
			return NULL;
		}
		for (size_t j = 0; j < i; j++) {
			if (config->protocols[j] == config->protocols[i]) {
				log_warn("portmap: create: %s listed twice",
					 portmap_protocol_name(config->protocols[i]));
				return NULL;
			}
		}
	}
	pm = calloc(1, sizeof(*pm));
	if (pm == NULL) {
		log_warn("portmap: create: %s", strerror(ENOMEM));
		return NULL;
	}
	pm->loop = config->loop;
	pm->on_change = config->on_change;
	pm->ctx = config->ctx;
	pm->timer = -1;
	portmap_machine_init(&pm->machine, config->protocols, config->protocol_count,
			     config->internal_port, config->lifetime_s);
	pm->client_config = (struct portmap_client_config){
		.local = config->local,
		.gateway = config->gateway,
		.dropped = pm->machine.dropped,
	};
	for (size_t i = 0; i < pm->machine.count; i++) {
		struct portmap_slot *s = &pm->slots[i];

		s->owner = pm;
		s->ops = protocol_ops[config->protocols[i]];
		s->fd = -1;
		if (start_client(pm, i, loop_now()) < 0)
			goto fail;
	}
	pm->timer = loop_add_timer(pm->loop, on_timer, pm, 0);
	if (pm->timer < 0) {
		log_warn("portmap: create: no loop timer left");
		goto fail;
	}
	log_info("portmap: gateway %s, local port %u, %zu protocol(s)",
		 netaddr_format(&config->gateway, text, sizeof(text)), config->internal_port,
		 pm->machine.count);
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
	struct portmap_action action;
	struct portmap_answer answer;
	struct portmap_slot *s;
	char text[NETADDR_TEXT_MAX];
	const char *name;
	uint64_t now = loop_now(), until;
	bool done = false;

	if (!portmap_machine_release(&pm->machine, &action))
		return;
	s = &pm->slots[action.index];
	if (s->client == NULL)
		return;
	name = portmap_protocol_name(pm->machine.protos[action.index].protocol);
	netendpoint_format(&pm->machine.external, text, sizeof(text));
	until = now + (uint64_t)(pm->machine.protos[action.index].protocol == CONFIG_PORTMAP_UPNP
					 ? PORTMAP_UPNP_RELEASE_MS
					 : PORTMAP_RELEASE_MS + 50) *
			      PORTMAP_NS_PER_MS;
	if (s->ops->start(s->client, &action.request, now, &answer) != 0) {
		log_warn("portmap: %s mapping %s: delete: %s", name, text, answer.error);
		return;
	}
	while (!done && (now = loop_now()) < until) {
		uint64_t wake = loop_earliest(s->ops->deadline(s->client, now), until);
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		int ms = wake > now ? (int)((wake - now + PORTMAP_NS_PER_MS - 1) / PORTMAP_NS_PER_MS)
				    : 0;

		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			break;
		now = loop_now();
		while (!done && s->ops->poll(s->client, now, &answer))
			done = answer.op == PORTMAP_OP_UNMAP;
	}
	if (done && answer.outcome == PORTMAP_GRANTED)
		log_info("portmap: %s mapping %s deleted", name, text);
	else
		log_warn("portmap: %s mapping %s: delete not confirmed: %s", name, text,
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
	for (size_t i = 0; i < pm->machine.count; i++) {
		struct portmap_slot *s = &pm->slots[i];

		if (s->fd >= 0)
			loop_del_fd(pm->loop, s->fd);
		if (s->client != NULL)
			s->ops->destroy(s->client);
	}
	free(pm);
}

void
portmap_probe(struct portmap *pm)
{
	portmap_machine_probe(&pm->machine);
	/* on the next turn, not from inside whoever called (maybe our own on_change) */
	loop_timer_at(pm->loop, pm->timer, loop_now());
}

void
portmap_status(const struct portmap *pm, struct portmap_status *out)
{
	portmap_machine_status(&pm->machine, out);
}
