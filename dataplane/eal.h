/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL arguments from the config: lcores, a file prefix of the node's own (its DPDK telemetry
 * socket, root only), one --vdev or -a per configured device, a net_tap vdev
 * per requested kernel TAP, then the operator's extra arguments (which therefore win).
 */
#ifndef EXITGATE_DATAPLANE_EAL_H
#define EXITGATE_DATAPLANE_EAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

enum {
	EAL_MAX_ARGS = 128,
};

struct eal_args {
	int argc;
	char *argv[EAL_MAX_ARGS + 1];
};

/* true when device names a PCI address (dddd:bb:dd.f or bb:dd.f), false for a vdev string */
bool eal_device_is_pci(const char *device);
/* The ethdev name a device string creates: the PCI address, or the vdev name before ','. */
void eal_device_ethdev_name(const char *device, char *name, size_t size);
/* The ethdev name of the kernel TAP vdev paired with a role. */
void eal_tap_ethdev_name(enum config_port_role role, char *name, size_t size);

/* Build the argument vector; returns 0 or -1 (too many arguments, no memory). */
int eal_args_build(struct eal_args *args, const struct config *config, const char *program);
void eal_args_free(struct eal_args *args);

/*
 * Build the arguments into *args and call rte_eal_init; returns 0 or -1 after logging why.
 * The strings stay allocated until eal_args_free (after rte_eal_cleanup), since EAL may keep
 * pointers into them.
 */
int eal_init_from_config(const struct config *config, const char *program, struct eal_args *args);

/* Where this process's DPDK telemetry socket is (after rte_eal_init). */
const char *eal_telemetry_socket(char *buf, size_t size);

#endif
