/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port mapping: asks the gateway of the public port to forward a UDP port on its external address
 * to our WireGuard listen port, by NAT-PMP (RFC 6886, through libnatpmp), PCP (RFC 6887, our own
 * codec in pcp.h) or UPnP IGD (through libminiupnpc), so that peers behind hard NATs can reach
 * the node directly. This module owns the mapping and everything learnt about the gateway's
 * port-mapping services; the NAT traversal code asks it (portmap_status) and is told when the
 * mapped endpoint changes (on_change), never reaches into it.
 *
 * Behaviour: every configured protocol is probed at start (and on portmap_probe); the first in
 * configuration order whose probe answered and that grants a mapping is used. The mapping is
 * renewed at half its granted lifetime asking for the same external port, checked between
 * renewals (NAT-PMP and PCP by the gateway's epoch, UPnP by asking for the entry), made again when
 * the gateway forgot it (epoch went backwards, renewal refused, entry gone), dropped when the
 * gateway stops answering (then re-probed with back-off), and deleted by portmap_destroy.
 *
 * Concurrency: one owner, the control loop's thread. NAT-PMP and PCP are non-blocking UDP
 * sockets on the loop. libminiupnpc's calls block (SSDP discovery, SOAP over HTTP), so UPnP runs
 * on one helper thread this module owns; it talks to the loop through a bounded queue and an
 * eventfd, and never touches this module's state. One loop timer in all.
 */
#ifndef EXITGATE_PORTMAP_H
#define EXITGATE_PORTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netaddr.h"

struct loop;
struct portmap;

enum {
	PORTMAP_PROTOCOLS = 3, /* enum config_port_mapping: natpmp, pcp, upnp */
	PORTMAP_ERROR_MAX = 64,
	PORTMAP_DEFAULT_LIFETIME_S = 7200, /* RFC 6886's recommendation, used for all three */
};

/* What was dropped from a gateway (or something pretending to be one), by reason. */
enum portmap_drop {
	PORTMAP_DROP_SHORT,        /* truncated below its kind's fixed part */
	PORTMAP_DROP_LENGTH,       /* wrong length: too long, not a multiple of 4, not exact */
	PORTMAP_DROP_VERSION,      /* a protocol version we did not speak */
	PORTMAP_DROP_NOT_RESPONSE, /* a request (R bit or opcode bit clear), not an answer */
	PORTMAP_DROP_OPCODE,       /* an answer to something other than what is pending */
	PORTMAP_DROP_NONCE,        /* PCP: a MAP answer for another mapping nonce */
	PORTMAP_DROP_MISMATCH,     /* an answer for another internal port or protocol */
	PORTMAP_DROP_OPTION,       /* PCP: a malformed option */
	PORTMAP_DROP_UNSOLICITED,  /* nothing was pending on that socket */
	PORTMAP_DROP_EXTERNAL,     /* a grant with an unusable external address or port */
	PORTMAP_DROP_SSDP_FOREIGN, /* UPnP: an SSDP answer whose description is not on the gateway */
	PORTMAP_DROP_IGD_INVALID,  /* UPnP: a description or SOAP answer that is no usable IGD */
	PORTMAP_DROPS,
};

struct portmap_config {
	struct loop *loop;
	struct netaddr local;   /* the public port's address (the kernel TAP carries it; bound to) */
	struct netaddr gateway; /* the public port's gateway: the only server asked or believed */
	uint16_t internal_port; /* the WireGuard listen port */
	const enum config_port_mapping *protocols; /* config order = preference; copied */
	size_t protocol_count;
	uint32_t lifetime_s; /* asked for (7200); 0 = PORTMAP_DEFAULT_LIFETIME_S */
	/* The mapped endpoint changed (appeared, moved, went); called at the end of a loop turn.
	 * It may call portmap_status and portmap_probe, never portmap_destroy. */
	void (*on_change)(void *ctx);
	void *ctx;
};

struct portmap_protocol_status {
	bool configured;
	bool tried;         /* probed at least once */
	bool answered;      /* the last probe got a valid answer (see result_code) */
	int result_code;    /* the last answer's code (NAT-PMP/PCP result, UPnP error); 0 = ok */
	char error[PORTMAP_ERROR_MAX]; /* evidence when not usable, e.g. "no answer from
					* 10.0.0.1:5351 in 3 tries"; "" when usable */
	uint64_t last_probe_ns; /* loop_now() of the last probe's end; 0 = never */
	struct netaddr external; /* the external address the service reported (family 0 = none) */
};

struct portmap_status {
	bool mapped;
	enum config_port_mapping protocol; /* meaningful when mapped */
	struct netendpoint external;
	uint32_t lifetime_s;  /* granted; 0 with mapped = permanent (a UPnP IGD that allows no
			       * lease) */
	uint64_t expires_ns;  /* loop_now() time; 0 = never */
	uint64_t renewed_ns;  /* last grant (first or renewal) */
	uint32_t renewals;    /* grants since the mapping first appeared */
	bool probing;         /* a probe or mapping search is under way */
	struct portmap_protocol_status protocols[PORTMAP_PROTOCOLS]; /* by enum config_port_mapping */
	uint64_t dropped[PORTMAP_DROPS];
};

/* Opens the sockets (bound to local), starts the UPnP thread if upnp is configured, registers
 * with the loop and starts probing. A protocol whose client cannot start (local not yet on the
 * TAP; NAT-PMP and UPnP need IPv4) is tried again every 10 s, the others serve meanwhile. NULL
 * on a bad configuration or when the loop refuses a descriptor or its timer (logged). */
struct portmap *portmap_create(const struct portmap_config *config);
/* Deletes the mapping (waiting at most a few seconds for the gateway), stops the UPnP thread
 * and unregisters. Safe with NULL. */
void portmap_destroy(struct portmap *pm);
/* Probe again which protocols answer (netcheck); also done at start. A mapping in place stays. */
void portmap_probe(struct portmap *pm);
void portmap_status(const struct portmap *pm, struct portmap_status *out);

const char *portmap_protocol_name(enum config_port_mapping protocol);
const char *portmap_drop_name(enum portmap_drop drop);

#endif
