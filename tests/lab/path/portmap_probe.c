/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port mapper on a real control loop, for the portmap lab: maps --port on the gateway with
 * the protocols given, and prints one line per event on stdout for the lab to read:
 *   probe <protocol> answered=<0|1> code=<n> error="<evidence>"   each probe's end
 *   mapped protocol=<p> external=<ip:port> lifetime=<s>           on_change to a mapping
 *   unmapped                                                      on_change to none
 *   renewed protocol=<p> external=<ip:port> renewals=<n>          each renewal granted
 *   dropped <reason>=<n> ...                                      at exit
 *   destroyed ms=<n>                                              after portmap_destroy
 * It runs until SIGTERM/SIGINT or --duration seconds; --reprobe S calls portmap_probe at S.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "netaddr.h"
#include "portmap.h"

struct probe {
	struct loop *loop;
	struct portmap *pm;
	uint64_t stop_at_ns, reprobe_at_ns;
	uint32_t renewals;
	uint64_t last_probe_ns[PORTMAP_PROTOCOLS];
};

static void
print_status_change(void *ctx)
{
	struct probe *p = ctx;
	struct portmap_status s;
	char text[NETADDR_TEXT_MAX];

	portmap_status(p->pm, &s);
	if (s.mapped)
		printf("mapped protocol=%s external=%s lifetime=%u\n",
		       portmap_protocol_name(s.protocol),
		       netendpoint_format(&s.external, text, sizeof(text)), s.lifetime_s);
	else
		printf("unmapped\n");
	p->renewals = s.renewals;
	fflush(stdout);
}

static uint64_t
watch(struct loop *loop, uint64_t now, void *arg)
{
	struct probe *p = arg;
	struct portmap_status s;
	char text[NETADDR_TEXT_MAX];

	if (p->pm == NULL)
		return now + 100 * 1000000ull;
	portmap_status(p->pm, &s);
	for (int i = 0; i < PORTMAP_PROTOCOLS; i++) {
		const struct portmap_protocol_status *ps = &s.protocols[i];

		if (!ps->configured || ps->last_probe_ns == p->last_probe_ns[i])
			continue;
		p->last_probe_ns[i] = ps->last_probe_ns;
		printf("probe %s answered=%d code=%d error=\"%s\"\n",
		       portmap_protocol_name((enum config_port_mapping)i), ps->answered,
		       ps->result_code, ps->error);
	}
	if (s.mapped && s.renewals != p->renewals) {
		p->renewals = s.renewals;
		printf("renewed protocol=%s external=%s renewals=%u\n",
		       portmap_protocol_name(s.protocol),
		       netendpoint_format(&s.external, text, sizeof(text)), s.renewals);
	}
	fflush(stdout);
	if (p->reprobe_at_ns != 0 && now >= p->reprobe_at_ns) {
		p->reprobe_at_ns = 0;
		portmap_probe(p->pm);
	}
	if (p->stop_at_ns != 0 && now >= p->stop_at_ns)
		loop_stop(loop);
	return now + 100 * 1000000ull;
}

static void
on_signal(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo info;

	(void)events;
	(void)arg;
	if (read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info))
		loop_stop(loop);
}

static int
parse_protocols(char *text, enum config_port_mapping *out, size_t *count)
{
	*count = 0;
	for (char *save = NULL, *name = strtok_r(text, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		enum config_port_mapping p;

		if (strcmp(name, "natpmp") == 0)
			p = CONFIG_PORTMAP_NATPMP;
		else if (strcmp(name, "pcp") == 0)
			p = CONFIG_PORTMAP_PCP;
		else if (strcmp(name, "upnp") == 0)
			p = CONFIG_PORTMAP_UPNP;
		else
			return -1;
		if (*count == PORTMAP_PROTOCOLS)
			return -1;
		out[(*count)++] = p;
	}
	return *count > 0 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: portmap-probe --local ADDR --gateway ADDR --port N "
			"--protocols natpmp,pcp,upnp [--lifetime S] [--duration S] "
			"[--reprobe S] [--debug]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"local", required_argument, NULL, 'l'},
		{"gateway", required_argument, NULL, 'g'},
		{"port", required_argument, NULL, 'p'},
		{"protocols", required_argument, NULL, 'P'},
		{"lifetime", required_argument, NULL, 't'},
		{"duration", required_argument, NULL, 'd'},
		{"reprobe", required_argument, NULL, 'r'},
		{"debug", no_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	enum config_port_mapping protocols[PORTMAP_PROTOCOLS];
	struct portmap_config config = {0};
	struct probe probe = {0};
	struct portmap_status s;
	const char *why;
	uint64_t begin, duration_s = 0, reprobe_s = 0;
	sigset_t signals;
	int opt, sfd;

	log_set_program("portmap-probe");
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (netaddr_parse(optarg, &config.local, &why) != 0)
				usage();
			break;
		case 'g':
			if (netaddr_parse(optarg, &config.gateway, &why) != 0)
				usage();
			break;
		case 'p':
			if (netport_parse(optarg, &config.internal_port, &why) != 0)
				usage();
			break;
		case 'P':
			if (parse_protocols(optarg, protocols, &config.protocol_count) != 0)
				usage();
			config.protocols = protocols;
			break;
		case 't':
			config.lifetime_s = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			duration_s = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			reprobe_s = strtoull(optarg, NULL, 10);
			break;
		case 'D':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		default:
			usage();
		}
	}
	if (config.local.family == 0 || config.gateway.family == 0 || config.internal_port == 0 ||
	    config.protocol_count == 0)
		usage();

	probe.loop = loop_create();
	if (probe.loop == NULL)
		return 1;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	sfd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || loop_add_fd(probe.loop, sfd, EPOLLIN, on_signal, NULL) != 0) {
		log_error("portmap-probe: signalfd: %s", strerror(errno));
		return 1;
	}
	begin = loop_now();
	if (duration_s != 0)
		probe.stop_at_ns = begin + duration_s * 1000000000ull;
	if (reprobe_s != 0)
		probe.reprobe_at_ns = begin + reprobe_s * 1000000000ull;
	config.loop = probe.loop;
	config.on_change = print_status_change;
	config.ctx = &probe;
	probe.pm = portmap_create(&config);
	if (probe.pm == NULL) {
		log_error("portmap-probe: portmap_create failed");
		return 1;
	}
	if (loop_add_timer(probe.loop, watch, &probe, 0) < 0)
		return 1;
	if (loop_run(probe.loop) != 0)
		return 1;

	portmap_status(probe.pm, &s);
	printf("dropped");
	for (int i = 0; i < PORTMAP_DROPS; i++)
		printf(" %s=%llu", portmap_drop_name((enum portmap_drop)i),
		       (unsigned long long)s.dropped[i]);
	printf("\n");
	fflush(stdout);
	begin = loop_now();
	portmap_destroy(probe.pm);
	printf("destroyed ms=%llu\n", (unsigned long long)((loop_now() - begin) / 1000000ull));
	fflush(stdout);
	loop_del_fd(probe.loop, sfd);
	close(sfd);
	loop_destroy(probe.loop);
	return 0;
}
