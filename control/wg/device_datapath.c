/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's side of an external data path: what exitgated's workers saw, reported by the
 * control plane (which reads the workers' per-peer timestamps), becomes the same timer events
 * and key confirmation that device_data.c produces when the device moves data itself.
 */
#include "device_internal.h"

void
wg_device_datapath_received(struct wg_device *dev, struct wg_peer *peer, bool data)
{
	device_note_received(dev, peer, data);
}

void
wg_device_datapath_sent(struct wg_device *dev, struct wg_peer *peer)
{
	device_note_sent(dev, peer, true);
}

void
wg_device_datapath_confirmed(struct wg_device *dev, uint32_t local_index)
{
	struct wg_index_entry *entry = wg_index_table_lookup(&dev->indices, local_index);

	if (entry != NULL && entry->keypair != NULL)
		device_keypair_received(dev, entry->peer, entry->keypair);
}

void
wg_peer_set_user(struct wg_peer *peer, void *user)
{
	peer->user = user;
}

void *
wg_peer_user(const struct wg_peer *peer)
{
	return peer->user;
}
