/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "eal.h"
#include "log.h"

static bool
all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool
eal_device_is_pci(const char *device)
{
	size_t len = strlen(device);
	const char *bdf = device;

	/* optional "dddd:" domain */
	if (len == 12) {
		if (!all_hex(device, 4) || device[4] != ':')
			return false;
		bdf = device + 5;
	} else if (len != 7) {
		return false;
	}
	return all_hex(bdf, 2) && bdf[2] == ':' && all_hex(bdf + 3, 2) && bdf[5] == '.' &&
	       bdf[6] >= '0' && bdf[6] <= '7';
}

void
eal_device_ethdev_name(const char *device, char *name, size_t size)
{
	size_t n = strcspn(device, ",");

	if (eal_device_is_pci(device) && strlen(device) == 7) {
		/* EAL names PCI devices with their domain */
		snprintf(name, size, "0000:%s", device);
		return;
	}
	snprintf(name, size, "%.*s", (int)n, device);
}

void
eal_tap_ethdev_name(enum config_port_role role, char *name, size_t size)
{
	/* net_tap vdevs are numbered from 90 so they never collide with an operator's net_tap0 */
	snprintf(name, size, "net_tap%d", 90 + (int)role);
}

static int
push(struct eal_args *args, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
push(struct eal_args *args, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (args->argc >= EAL_MAX_ARGS)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return -1;
	args->argv[args->argc++] = s;
	args->argv[args->argc] = NULL;
	return 0;
}

static bool
is_af_packet(const char *device)
{
	return strncmp(device, "net_af_packet", 13) == 0 || strncmp(device, "eth_af_packet", 13) == 0;
}

int
eal_args_build(struct eal_args *args, const struct config *config, const char *program)
{
	const struct config_dataplane *dpc = &config->dataplane;
	bool any_pci = false;
	int rc = 0;

	memset(args, 0, sizeof(*args));
	rc |= push(args, "%s", program);
	if (dpc->lcores[0] != '\0')
		rc |= push(args, "--lcores=%s", dpc->lcores);
	else
		rc |= push(args, "-l0-%u", dpc->workers);
	/* Quiet by default: EAL prints its progress at INFO; an operator's --log-level wins. */
	rc |= push(args, "--log-level=%s", config->log_level >= LOG_LEVEL_DEBUG ? "info" : "warning");
	/*
	 * DPDK telemetry (dpdk-telemetry.py: /ethdev/stats and the like) lives in EAL's runtime
	 * directory, /var/run/dpdk/<file prefix>/dpdk_telemetry.v2. Each node gets a prefix of
	 * its own, named after its interface (unique per machine, as its UAPI socket is), so two
	 * nodes never fight over one socket, and `dpdk-telemetry.py -f exitgate-<interface>`
	 * finds it; eal_restrict_runtime_dir keeps it root's. An operator's --file-prefix or
	 * --no-telemetry in dataplane.eal comes later and wins.
	 */
	rc |= push(args, "--file-prefix=exitgate-%s", config->node.interface);

	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		const struct config_port *port = &config->ports[role];
		char tap[32];

		if (!port->present)
			continue;
		if (eal_device_is_pci(port->device)) {
			any_pci = true;
			rc |= push(args, "-a%s", port->device);
		} else if (is_af_packet(port->device) && strstr(port->device, "qpairs=") == NULL) {
			/* af_packet fans a veth out over one socket per queue: one per worker */
			rc |= push(args, "--vdev=%s,qpairs=%u", port->device, dpc->workers);
		} else {
			rc |= push(args, "--vdev=%s", port->device);
		}
		if (port->kernel_tap[0] != '\0') {
			eal_tap_ethdev_name(role, tap, sizeof(tap));
			rc |= push(args, "--vdev=%s,iface=%s", tap, port->kernel_tap);
		}
	}
	if (!any_pci)
		rc |= push(args, "--no-pci");
	for (size_t i = 0; i < dpc->eal_count; i++)
		rc |= push(args, "%s", dpc->eal[i]);
	if (rc != 0) {
		eal_args_free(args);
		return -1;
	}
	return 0;
}

void
eal_args_free(struct eal_args *args)
{
	for (int i = 0; i < args->argc; i++)
		free(args->argv[i]);
	memset(args, 0, sizeof(*args));
}

const char *
eal_telemetry_socket(char *buf, size_t size)
{
	snprintf(buf, size, "%s/dpdk_telemetry.v2", rte_eal_get_runtime_dir());
	return buf;
}

/* The telemetry socket answers anyone who can connect, and says much about the node: the
 * directory and the socket are root's only, whatever the umask was. */
static int
eal_restrict_runtime_dir(void)
{
	const char *dir = rte_eal_get_runtime_dir();
	char socket_path[PATH_MAX];
	struct stat st;

	if (dir == NULL || dir[0] == '\0')
		return 0;
	if (chmod(dir, 0700) != 0) {
		log_error("eal: chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	eal_telemetry_socket(socket_path, sizeof(socket_path));
	if (stat(socket_path, &st) == 0 && chmod(socket_path, 0600) != 0) {
		log_error("eal: chmod %s: %s", socket_path, strerror(errno));
		return -1;
	}
	return 0;
}

int
eal_init_from_config(const struct config *config, const char *program, struct eal_args *args)
{
	char *argv[EAL_MAX_ARGS + 1];
	char line[1024];
	size_t used = 0;
	int rc;

	if (eal_args_build(args, config, program) < 0) {
		log_error("eal: too many EAL arguments or out of memory");
		return -1;
	}
	for (int i = 0; i < args->argc && used < sizeof(line); i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s", i ? " " : "",
					 args->argv[i]);
	log_info("eal: %s", line);
	/* rte_eal_init permutes the vector it is given; keep our own pointers to free later */
	memcpy(argv, args->argv, sizeof(argv));
	rc = rte_eal_init(args->argc, argv);
	if (rc < 0) {
		eal_args_free(args);
		log_error("eal: rte_eal_init: %s", rte_strerror(rte_errno));
		return -1;
	}
	return eal_restrict_runtime_dir();
}
