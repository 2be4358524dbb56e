/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port mapper's decisions as a state machine with no I/O (its log lines aside): it is told
 * what each protocol client answered and the time, and says which operations to start and when
 * it next needs the time. portmap.c carries the actions out on the clients and the loop; the unit
 * tests drive it with answers directly.
 *
 * The search: probe every configured protocol (all at once: they are independent and the
 * slowest, UPnP discovery, sets the pace), then walk them in configuration order; the first
 * whose probe answered with success is asked for a mapping; a refusal moves on to the next.
 * When none grants one, the search starts again after a back-off.
 * The mapping: renewed at half-life asking for the same external port, checked between
 * renewals; when a renewal is refused, or the gateway's state is seen to be gone (epoch went
 * back, the UPnP entry missing), it is made again at once; when the gateway stops answering it
 * is dropped (on_change) and searched for after back-off.
 */
#ifndef EXITGATE_PORTMAP_MACHINE_H
#define EXITGATE_PORTMAP_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "portmap.h"
#include "portmap_client.h"
#include "portmap_schedule.h"

enum {
	/* one operation per protocol at a time, so one action per protocol per turn at most */
	PORTMAP_MACHINE_ACTIONS = PORTMAP_PROTOCOLS,
};

struct portmap_action {
	size_t index; /* into the configured protocols */
	struct portmap_request request;
};

struct portmap_machine_proto {
	enum config_port_mapping protocol;
	bool available;     /* its client started */
	enum portmap_op op; /* under way; PORTMAP_OP_NONE when idle */
	bool probe_wanted;
	bool usable; /* the last probe or check answered with success */
	struct portmap_epoch epoch;
	struct portmap_protocol_status status;
};

struct portmap_machine {
	uint16_t internal_port;
	uint32_t lifetime_s;
	struct portmap_machine_proto protos[PORTMAP_PROTOCOLS];
	size_t count;
	uint64_t dropped[PORTMAP_DROPS];
	bool changed; /* the mapped endpoint changed since portmap_machine_take_change */
	struct portmap_action actions[PORTMAP_MACHINE_ACTIONS];
	size_t action_count;

	/* the mapping */
	bool mapped;
	size_t mapped_index;
	struct netendpoint external;
	uint32_t granted_s;
	uint64_t renewed_ns, expires_ns, renew_at_ns, check_at_ns;
	uint32_t renewals;
	uint16_t previous_port; /* what we had, asked for again after a loss */

	/* the search */
	bool seeking;
	size_t seek;
	bool seek_sent;
	uint64_t retry_at_ns;
	uint64_t backoff_ns;
};

/* Protocols in preference order, each at most once (checked by the caller). Starts a search. */
void portmap_machine_init(struct portmap_machine *m, const enum config_port_mapping *protocols,
			  size_t count, uint16_t internal_port, uint32_t lifetime_s);
/* The client of protocols[index] could not start: not probed, not used, until it is available
 * (started later: then probed at once). */
void portmap_machine_unavailable(struct portmap_machine *m, size_t index, const char *why);
void portmap_machine_available(struct portmap_machine *m, size_t index);
/* The operation under way on protocols[index] ended with this answer. */
void portmap_machine_answer(struct portmap_machine *m, size_t index,
			    const struct portmap_answer *answer, uint64_t now_ns);
/* What to start now (into actions, PORTMAP_MACHINE_ACTIONS at most); each is marked under way.
 * An action whose start fails is answered (portmap_machine_answer) and advance called again. */
size_t portmap_machine_advance(struct portmap_machine *m, uint64_t now_ns,
			       struct portmap_action *actions);
/* The next time advance has something to do (0 = none), clients' retries not included. */
uint64_t portmap_machine_deadline(const struct portmap_machine *m);
/* Probe every protocol again (netcheck); a mapping in place stays. */
void portmap_machine_probe(struct portmap_machine *m);
/* true once per change of the mapped endpoint (appeared, moved, went). */
bool portmap_machine_take_change(struct portmap_machine *m);
void portmap_machine_status(const struct portmap_machine *m, struct portmap_status *out);
/* At shutdown: the deletion to send, for the mapping or for a NAT-PMP/PCP grant that may be on
 * its way; false when there is nothing to delete. */
bool portmap_machine_release(const struct portmap_machine *m, struct portmap_action *action);

#endif
