/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the port mapper: the face each protocol client (portmap_natpmp.c, portmap_pcp.c,
 * portmap_upnp.c) shows to the owner (portmap.c). A client carries one operation at a time,
 * exposes one descriptor for the loop and a deadline, and ends each operation with one answer.
 * Clients decide nothing: whether to renew, remap, fall back or give up is the owner's, from the
 * answers. All of a client's functions run on the loop's thread.
 */
#ifndef EXITGATE_PORTMAP_CLIENT_H
#define EXITGATE_PORTMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "portmap.h"

enum portmap_op {
	PORTMAP_OP_NONE,
	PORTMAP_OP_PROBE, /* is the service there? (NAT-PMP public address, PCP ANNOUNCE, UPnP IGD) */
	PORTMAP_OP_CHECK, /* does the gateway still hold our mapping? (epoch, or the UPnP entry) */
	PORTMAP_OP_MAP,   /* create or renew */
	PORTMAP_OP_UNMAP, /* delete */
};

enum portmap_outcome {
	PORTMAP_GRANTED,   /* answered with success */
	PORTMAP_REFUSED,   /* answered with an error code (result_code) */
	PORTMAP_NO_ANSWER, /* no valid answer in the tries or the time allowed */
	PORTMAP_LOCAL,     /* failed here (socket, thread) */
};

struct portmap_request {
	enum portmap_op op;
	uint16_t internal_port;
	uint16_t external_port;       /* MAP: suggested (0 = any); CHECK/UNMAP: the mapped one */
	struct netaddr external_addr; /* MAP: suggested (PCP), family 0 = none */
	uint32_t lifetime_s;          /* MAP */
};

struct portmap_answer {
	enum portmap_op op;
	enum portmap_outcome outcome;
	int result_code;
	struct netendpoint external; /* MAP: the mapping; PROBE: the external address, port 0 */
	uint32_t lifetime_s;         /* MAP: granted; 0 = permanent (UPnP only) */
	bool has_epoch;
	uint32_t epoch;
	char error[PORTMAP_ERROR_MAX];
};

struct portmap_client_config {
	struct netaddr local;
	struct netaddr gateway;
	uint64_t *dropped; /* the owner's counters, PORTMAP_DROPS of them */
};

struct portmap_client_ops {
	void *(*create)(const struct portmap_client_config *config);
	/* Frees without telling the gateway anything; bounded. */
	void (*destroy)(void *client);
	int (*fd)(const void *client);
	/* Begin an operation; one under way is abandoned (its answer, if any, is not reported).
	 * 0, or -1 with the failure in *answer. */
	int (*start)(void *client, const struct portmap_request *request, uint64_t now_ns,
		     struct portmap_answer *answer);
	/* Read what arrived, retry what is due; true when the operation ended (*answer set). */
	bool (*poll)(void *client, uint64_t now_ns, struct portmap_answer *answer);
	/* Next retry or give-up (0 = none). */
	uint64_t (*deadline)(const void *client, uint64_t now_ns);
};

extern const struct portmap_client_ops portmap_natpmp_ops;
extern const struct portmap_client_ops portmap_pcp_ops;
extern const struct portmap_client_ops portmap_upnp_ops;

/* Shared by the NAT-PMP and PCP clients: a UDP socket bound to local (port chosen by the kernel)
 * and connected to gateway:port, non-blocking, close-on-exec. -1 on failure (logged). */
int portmap_udp_socket(const struct netaddr *local, const struct netaddr *gateway, uint16_t port);

/* The evidence of a request nobody answered: "no answer from 10.0.0.1:5351 in 3 tries", or
 * "port unreachable at ..." when an ICMP error came back. */
void portmap_no_answer_text(char *out, size_t size, const struct netaddr *gateway, uint16_t port,
			    unsigned tries, bool icmp_refused);

#endif
