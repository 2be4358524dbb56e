/* SPDX-License-Identifier: BSD-3-Clause */
#include "portmap_schedule.h"

bool
portmap_epoch_lost_natpmp(const struct portmap_epoch *previous, uint32_t server_s,
			  uint64_t now_ns)
{
	uint64_t elapsed_s, expected;

	if (!previous->known)
		return false;
	elapsed_s = now_ns > previous->client_ns ? (now_ns - previous->client_ns) / PORTMAP_NS_PER_S
						 : 0;
	expected = (uint64_t)previous->server_s + elapsed_s * 7 / 8;
	return (uint64_t)server_s + 2 < expected;
}

bool
portmap_epoch_lost_pcp(const struct portmap_epoch *previous, uint32_t server_s, uint64_t now_ns)
{
	int64_t client_delta, server_delta;

	if (!previous->known)
		return false;
	if ((uint64_t)server_s + 1 < previous->server_s)
		return true; /* time went backwards by more than reordering explains */
	client_delta = now_ns > previous->client_ns
			       ? (int64_t)((now_ns - previous->client_ns) / PORTMAP_NS_PER_S)
			       : 0;
	server_delta = (int64_t)server_s - (int64_t)previous->server_s;
	return client_delta + 2 < server_delta - server_delta / 16 ||
	       server_delta + 2 < client_delta - client_delta / 16;
}

void
portmap_epoch_note(struct portmap_epoch *epoch, uint32_t server_s, uint64_t now_ns)
{
	epoch->known = true;
	epoch->server_s = server_s;
	epoch->client_ns = now_ns;
}

uint64_t
portmap_retry_delay_ns(unsigned sent)
{
	unsigned shift = sent > 0 ? sent - 1 : 0;

	if (shift > 10)
		shift = 10;
	return (uint64_t)PORTMAP_FIRST_RETRY_MS * PORTMAP_NS_PER_MS << shift;
}

uint64_t
portmap_renew_at(uint64_t granted_ns, uint32_t lifetime_s)
{
	uint64_t half = (uint64_t)lifetime_s * PORTMAP_NS_PER_S / 2;

	if (lifetime_s == 0)
		return 0;
	/* a gateway granting a second or two must not make us renew in a tight loop */
	return granted_ns + (half < PORTMAP_NS_PER_S ? PORTMAP_NS_PER_S : half);
}

uint64_t
portmap_expires_at(uint64_t granted_ns, uint32_t lifetime_s)
{
	if (lifetime_s == 0)
		return 0;
	return granted_ns + (uint64_t)lifetime_s * PORTMAP_NS_PER_S;
}

uint64_t
portmap_check_interval_ns(uint32_t lifetime_s)
{
	uint64_t quarter = (uint64_t)lifetime_s * PORTMAP_NS_PER_S / 4;

	if (lifetime_s == 0 || quarter > PORTMAP_CHECK_MAX_S * PORTMAP_NS_PER_S)
		return PORTMAP_CHECK_MAX_S * PORTMAP_NS_PER_S;
	if (quarter < PORTMAP_NS_PER_S)
		return PORTMAP_NS_PER_S;
	return quarter;
}

uint64_t
portmap_backoff_next_ns(uint64_t current_ns)
{
	uint64_t next = current_ns == 0 ? PORTMAP_RETRY_MIN_S * PORTMAP_NS_PER_S : current_ns * 2;

	if (next > PORTMAP_RETRY_MAX_S * PORTMAP_NS_PER_S)
		next = PORTMAP_RETRY_MAX_S * PORTMAP_NS_PER_S;
	return next;
}
