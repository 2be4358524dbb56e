/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allowed-IPs: longest-prefix match from an inner address to a peer, both ways (the source of a
 * decrypted packet must map to the peer that sent it; the destination of a packet to encrypt
 * picks the peer).
 *
 * A table is immutable once built: the control plane builds a new one from its full list on
 * every change and publishes it with one pointer store; workers read whichever table they
 * loaded; the old one is freed after an RCU grace period. Rebuilding costs O(n log n) for n
 * prefixes (microseconds for hundreds, milliseconds for tens of thousands) and only happens on
 * configuration changes, while lookups stay lock-free and touch one compact node array.
 *
 * Structure: a path-compressed binary trie per family over 128-bit keys (IPv4 in the top 32
 * bits), nodes in one array addressed by 32-bit indices.
 */
#ifndef EXITGATE_DATAPLANE_ALLOWEDIPS_H
#define EXITGATE_DATAPLANE_ALLOWEDIPS_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

struct allowedips_entry {
	struct netprefix prefix;
	void *value; /* what a lookup returns (a peer); never NULL */
};

struct allowedips;

/* Build a table; a later duplicate prefix replaces an earlier one. NULL when out of memory. */
struct allowedips *allowedips_build(const struct allowedips_entry *entries, size_t n);
void allowedips_free(struct allowedips *t);

/* Longest match for an address in network byte order; NULL when none. */
void *allowedips_lookup_v4(const struct allowedips *t, const uint8_t addr[4]);
void *allowedips_lookup_v6(const struct allowedips *t, const uint8_t addr[16]);
void *allowedips_lookup(const struct allowedips *t, const struct netaddr *addr);

/* Number of prefixes stored. */
size_t allowedips_count(const struct allowedips *t);

#endif
