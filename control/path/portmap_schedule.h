/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port mapper's timing decisions, pure (no clock of its own, no I/O) so that unit tests pin
 * them: retransmission, renewal, checks, back-off, and whether a server's epoch says it lost
 * its state (RFC 6886 section 3.6 for NAT-PMP, RFC 6887 section 8.5 for PCP).
 */
#ifndef EXITGATE_PORTMAP_SCHEDULE_H
#define EXITGATE_PORTMAP_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define PORTMAP_NS_PER_MS 1000000ull
#define PORTMAP_NS_PER_S 1000000000ull

enum {
	/* A NAT-PMP or PCP request is sent this many times before "no answer": the gateway is one
	 * hop away, so three sends 250, 500 and 1000 ms apart (RFC 6886's first intervals) lose
	 * nothing a working gateway would answer and end a probe of a silent one in 1.75 s. */
	PORTMAP_TRIES = 3,
	PORTMAP_FIRST_RETRY_MS = 250,
	/* SSDP discovery waits this long for IGDs (miniupnpc's delay): gateways answer M-SEARCH
	 * within milliseconds, but their MX spread lets them wait up to a second or two. */
	PORTMAP_UPNP_DISCOVERY_MS = 2000,
	/* The loop gives a whole UPnP operation (discovery, description, SOAP calls) this long
	 * before it counts "no answer"; miniupnpc's own socket timeouts end each call sooner. */
	PORTMAP_UPNP_OPERATION_S = 15,
	/* With no mapping: re-probe after 5 s, doubling to 5 min (a gateway that gains a service
	 * is found soon; one that has none is not asked every few seconds forever). */
	PORTMAP_RETRY_MIN_S = 5,
	PORTMAP_RETRY_MAX_S = 300,
	/* Between renewals, ask whether the gateway still holds the mapping at most this often
	 * (a gateway that restarts forgets mappings; the next renewal could be an hour away). */
	PORTMAP_CHECK_MAX_S = 60,
	/* A client that could not start (its socket not bound: the public address not yet on
	 * the kernel TAP) is tried again this often. */
	PORTMAP_RESTART_CLIENT_S = 10,
	/* Shutdown waits at most this long for the gateway to confirm each deletion. */
	PORTMAP_RELEASE_MS = 1750,
	PORTMAP_UPNP_RELEASE_MS = 3000,
};

/* What a client remembers of a server's last epoch. */
struct portmap_epoch {
	bool known;
	uint32_t server_s;  /* the server's seconds since its state began */
	uint64_t client_ns; /* our clock when that answer arrived */
};

/* RFC 6886 section 3.6: the gateway lost its mappings when its epoch is more than 2 s below
 * the previous one advanced by 7/8 of the time that passed here. */
bool portmap_epoch_lost_natpmp(const struct portmap_epoch *previous, uint32_t server_s,
			       uint64_t now_ns);
/* RFC 6887 section 8.5: lost when the epoch went back by more than 1 s, or when server and
 * client clocks advanced by amounts that differ by more than 2 s plus 1/16. */
bool portmap_epoch_lost_pcp(const struct portmap_epoch *previous, uint32_t server_s,
			    uint64_t now_ns);
void portmap_epoch_note(struct portmap_epoch *epoch, uint32_t server_s, uint64_t now_ns);

/* Delay before send number `sent + 1` of a NAT-PMP or PCP request, after `sent` sends. */
uint64_t portmap_retry_delay_ns(unsigned sent);
/* When to renew a mapping granted at granted_ns for lifetime_s: at half its life, at least 1 s
 * on (0 = never, for a permanent one). */
uint64_t portmap_renew_at(uint64_t granted_ns, uint32_t lifetime_s);
/* When it expires (0 = never). */
uint64_t portmap_expires_at(uint64_t granted_ns, uint32_t lifetime_s);
/* How often to check a mapping between renewals: a quarter of its life, 1 s to
 * PORTMAP_CHECK_MAX_S; a permanent one every PORTMAP_CHECK_MAX_S. */
uint64_t portmap_check_interval_ns(uint32_t lifetime_s);
/* The next back-off after `current` (0 = first): PORTMAP_RETRY_MIN_S doubling to MAX. */
uint64_t portmap_backoff_next_ns(uint64_t current_ns);

#endif
