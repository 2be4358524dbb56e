/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental Internet checksum update (RFC 1624, equation 3): HC' = ~(~HC + ~m + m') for every
 * 16-bit word m that became m'. A change is accumulated as a "delta" (the sum of ~m + m' over the
 * words written) so that one rewrite can be applied to several checksums that cover it: the IP
 * header, the transport pseudo-header and, for a quoted packet, the enclosing ICMP message.
 *
 * Words are loaded and stored in memory order: the ones' complement sum is byte-order
 * independent, so no byte swapping is needed as long as every word is treated the same way.
 * Equation 3 never turns a checksum that is not 0xffff into 0xffff, so an update of a correct
 * checksum gives the same bytes as computing it from scratch.
 */
#ifndef EXITGATE_NAT_CHECKSUM_H
#define EXITGATE_NAT_CHECKSUM_H

#include <stdint.h>
#include <string.h>

static inline uint16_t
nat_load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
nat_store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The change of one word from old to new. Sums of up to 2^15 of these fit in 32 bits. */
static inline uint32_t
csum_delta16(uint16_t old, uint16_t new)
{
	return (uint32_t)(uint16_t)~old + new;
}

/* The change of len bytes (even) from old to new. */
static inline uint32_t
csum_delta_bytes(const uint8_t *old, const uint8_t *new, unsigned int len)
{
	uint32_t delta = 0;
	unsigned int i;

	for (i = 0; i < len; i += 2)
		delta += csum_delta16(nat_load16(old + i), nat_load16(new + i));
	return delta;
}

static inline uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum field at p after a change of delta in what it covers; returns the delta of the
 * field itself, for a checksum that covers this one (an ICMP message over a quoted header). */
static inline uint32_t
csum_apply(uint8_t *p, uint32_t delta)
{
	uint16_t old = nat_load16(p);
	uint16_t new = (uint16_t)~csum_fold((uint32_t)(uint16_t)~old + delta);

	nat_store16(p, new);
	return csum_delta16(old, new);
}

/* The same for a UDP checksum: zero means "none" and stays zero; a computed zero is sent as
 * 0xffff (RFC 768). */
static inline uint32_t
csum_apply_udp(uint8_t *p, uint32_t delta)
{
	uint16_t old = nat_load16(p);
	uint16_t new;

	if (old == 0)
		return 0;
	new = (uint16_t)~csum_fold((uint32_t)(uint16_t)~old + delta);
	if (new == 0)
		new = 0xffff;
	nat_store16(p, new);
	return csum_delta16(old, new);
}

#endif
