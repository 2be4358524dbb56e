/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's transport half (type 4) for callers that move data themselves (the interop
 * program, tests, fuzzers): encryption from the staged queue into the outbox, decryption in the
 * caller's buffer. exitgated's workers do the same per packet with the same keypairs and the
 * wgdata library, without this file.
 */
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include "device_internal.h"

/* The length of the IP packet at the start of a decrypted (padded) payload, or 0 when the
 * payload does not start with a complete IPv4 or IPv6 packet. */
static size_t
inner_packet_len(const uint8_t *p, size_t len)
{
	if (len >= sizeof(struct iphdr) && (p[0] >> 4) == 4) {
		size_t header_len = (size_t)(p[0] & 0x0f) * 4;
		size_t total = (size_t)p[2] << 8 | p[3];

		if (header_len < sizeof(struct iphdr) || total < header_len || total > len)
			return 0;
		return total;
	}
	if (len >= sizeof(struct ip6_hdr) && (p[0] >> 4) == 6) {
		size_t total = sizeof(struct ip6_hdr) + ((size_t)p[4] << 8 | p[5]);

		return total <= len ? total : 0;
	}
	return 0;
}

/* ---- Sending ---- */

void
device_send_staged(struct wg_device *dev, struct wg_peer *peer)
{
	uint64_t now = wg_env_now(dev->env);
	struct wg_keypair *kp = noise_remote_send_keypair(&peer->remote);
	bool rekey = false;
	enum noise_result lifetime;

	if (peer->staged.count == 0)
		return;
	lifetime = kp != NULL ? noise_keypair_check_send(kp, now) : NOISE_KEYPAIR_EXPIRED;
	if (lifetime == NOISE_KEYPAIR_EXPIRED) {
		/* No usable session: keep the packets staged and start a handshake. */
		device_initiate(dev, peer, false);
		return;
	}
	while (peer->staged.count > 0) {
		uint8_t *plaintext;
		uint8_t *buf;
		uint64_t counter;
		uint16_t len;
		size_t msg_len;

		buf = device_outbox_claim(dev);
		if (buf == NULL) {
			/* The caller is not draining: what is left would only grow stale. */
			dev->stats.drops[WG_DROP_OUTBOX_FULL] += wg_staged_purge(&peer->staged);
			break;
		}
		if (wg_keypair_reserve_send_counters(kp, 1, &counter) != 1) {
			/* Counters exhausted: the rest waits for the new session. */
			rekey = true;
			break;
		}
		plaintext = wg_staged_peek(&peer->staged, &len);
		memcpy(buf + WG_MSG_TRANSPORT_HEADER_LEN, plaintext, len);
		wg_staged_pop(&peer->staged);
		msg_len = wg_transport_seal(&dev->transport, kp->send_key, kp->remote_index,
					    counter, buf, len, dev->mtu);
		device_outbox_commit(dev, peer, msg_len);
		device_note_sent(dev, peer, len != 0);
		if (len != 0) {
			peer->stats.tx_data_packets++;
		} else {
			dev->stats.keepalives_sent++;
		}
	}
	/* due for a new session now, or since the counters ran out in the loop */
	if (rekey || noise_keypair_check_send(kp, now) != NOISE_OK)
		device_initiate(dev, peer, false);
}

int
wg_device_send(struct wg_device *dev, struct wg_peer *peer, const uint8_t *packet, size_t len)
{
	bool dropped_oldest;

	if (len > dev->mtu) {
		device_drop(dev, NULL, WG_DROP_TOO_BIG);
		return -1;
	}
	if (!device_peer_reachable(peer)) {
		device_drop(dev, NULL, WG_DROP_NO_ENDPOINT);
		return -1;
	}
	wg_staged_push(&peer->staged, packet, (uint16_t)len, &dropped_oldest);
	if (dropped_oldest)
		device_drop(dev, NULL, WG_DROP_STAGED_OVERFLOW);
	device_send_staged(dev, peer);
	return 0;
}

void
wg_device_send_keepalive(struct wg_device *dev, struct wg_peer *peer)
{
	bool dropped_oldest;

	if (!device_peer_reachable(peer))
		return;
	/* Anything staged confirms the session just as well as an empty packet. */
	if (peer->staged.count == 0)
		wg_staged_push(&peer->staged, NULL, 0, &dropped_oldest);
	device_send_staged(dev, peer);
}

/* ---- Receiving ---- */

void
wg_device_receive_transport(struct wg_device *dev, const struct netendpoint *source,
			    uint8_t *datagram, size_t len, struct wg_rx_result *result)
{
	uint64_t now = wg_env_now(dev->env);
	struct wg_index_entry *entry;
	struct wg_keypair *kp;
	struct wg_peer *peer;
	uint32_t receiver;
	uint64_t counter;
	size_t payload_len;
	size_t inner_len;

	memset(result, 0, sizeof(*result));
	dev->stats.rx_datagrams++;
	if (wg_message_type_of(datagram, len) != WG_MSG_TRANSPORT) {
		device_drop(dev, result, WG_DROP_NOT_WIREGUARD);
		return;
	}
	if (wg_transport_header_parse(datagram, len, &receiver, &counter) != 0) {
		device_drop(dev, result, WG_DROP_BAD_LENGTH);
		return;
	}
	entry = wg_index_table_lookup(&dev->indices, receiver);
	if (entry == NULL || entry->keypair == NULL) {
		device_drop(dev, result, WG_DROP_UNKNOWN_INDEX);
		return;
	}
	kp = entry->keypair;
	peer = entry->peer;
	if (noise_keypair_check_receive(kp, now) == NOISE_KEYPAIR_EXPIRED) {
		device_drop(dev, result, WG_DROP_KEYPAIR_EXPIRED);
		return;
	}
	if (counter >= WG_REJECT_AFTER_MESSAGES) {
		device_drop(dev, result, WG_DROP_COUNTER_LIMIT);
		return;
	}
	if (wg_keypair_replay_precheck(kp, counter) != WG_REPLAY_ACCEPT) {
		device_drop(dev, result, WG_DROP_REPLAY);
		return;
	}
	if (wg_transport_open(&dev->transport, kp->receive_key, counter, datagram, len) !=
	    WG_TRANSPORT_OK) {
		device_drop(dev, result, WG_DROP_TRANSPORT_AUTH);
		return;
	}
	switch (wg_keypair_replay_commit(kp, counter)) {
	case WG_REPLAY_ACCEPT:
		break;
	case WG_REPLAY_CONTENDED:
		device_drop(dev, result, WG_DROP_REPLAY_CONTENDED);
		return;
	case WG_REPLAY_REJECT:
		device_drop(dev, result, WG_DROP_REPLAY);
		return;
	}
	/* Authenticated: the peer may have roamed (a relay source is no place to roam to). */
	result->peer = peer;
	if (!wg_source_is_relay(source))
		wg_peer_set_endpoint(peer, source);
	peer->stats.rx_bytes += len;
	device_keypair_received(dev, peer, kp);
	if (timers_rekey_on_receive(&peer->timers, noise_remote_send_keypair(&peer->remote)))
		device_initiate(dev, peer, false);
	payload_len = len - WG_MSG_TRANSPORT_MIN_LEN;
	device_note_received(dev, peer, payload_len != 0);
	if (payload_len == 0) {
		dev->stats.keepalives_received++;
		result->verdict = WG_RX_KEEPALIVE;
		return;
	}
	inner_len = inner_packet_len(datagram + WG_MSG_TRANSPORT_HEADER_LEN, payload_len);
	if (inner_len == 0) {
		device_drop(dev, result, WG_DROP_BAD_INNER_PACKET);
		return;
	}
	peer->stats.rx_data_packets++;
	result->verdict = WG_RX_DATA;
	result->data = datagram + WG_MSG_TRANSPORT_HEADER_LEN;
	result->len = inner_len;
}

/* ---- Events shared with an external data path (device_datapath.c) ---- */

void
device_keypair_received(struct wg_device *dev, struct wg_peer *peer, struct wg_keypair *kp)
{
	if (noise_keypair_received(&peer->remote, kp) != NOISE_SESSION_CONFIRMED)
		return;
	dev->stats.sessions_confirmed++;
	peer->stats.handshakes_completed++;
	timers_handshake_complete(&peer->timers);
	/* what waited for the session can go now */
	device_send_staged(dev, peer);
}

void
device_note_received(struct wg_device *dev, struct wg_peer *peer, bool data)
{
	(void)dev;
	timers_any_authenticated_packet_received(&peer->timers);
	timers_any_authenticated_packet_traversal(&peer->timers);
	if (data)
		timers_data_received(&peer->timers);
}

void
device_note_sent(struct wg_device *dev, struct wg_peer *peer, bool data)
{
	(void)dev;
	timers_any_authenticated_packet_traversal(&peer->timers);
	timers_any_authenticated_packet_sent(&peer->timers);
	if (data)
		timers_data_sent(&peer->timers);
}
