/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tailnet-probe: the tailnet control client (control/tailnet) on a real control loop, for the
 * lab. It logs in, follows the netmap and reports it:
 *   - every state change and netmap change as one line on stdout;
 *   - the whole status as JSON in --status-file (rewritten atomically after every change and
 *     every second), which the lab reads with jq;
 *   - every map message as received in --dump-dir/NNNN.json (captures for test vectors).
 * Signals: SIGUSR1 re-reads --endpoints-file ("ip:port type" lines) and publishes it (a lite
 * update); SIGUSR2 makes a new disco key; SIGHUP moves the preferred DERP region one up (a
 * NetInfo change); SIGTERM/SIGINT end it cleanly (ASan checks leaks).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "keytext.h"
#include "log.h"
#include "loop.h"
#include "strbuf.h"
#include "tailnet.h"

struct probe {
	struct loop *loop;
	struct tailnet *tailnet;
	const char *status_file;
	const char *endpoints_file;
	const char *dump_dir;
	unsigned int dumped;
	uint32_t preferred_derp;
};

static void
write_status(struct probe *p)
{
	struct strbuf b;
	char tmp[4096];
	FILE *f;

	if (p->status_file == NULL || p->tailnet == NULL)
		return;
	strbuf_init(&b, 0);
	tailnet_status(p->tailnet, &b, true);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->status_file);
	f = fopen(tmp, "w");
	if (f != NULL && !b.failed) {
		fwrite(b.data, 1, b.len, f);
		if (fclose(f) == 0)
			rename(tmp, p->status_file);
	} else if (f != NULL) {
		fclose(f);
	}
	strbuf_free(&b);
}

static void
print_ids(const char *what, const int64_t *ids, size_t n)
{
	printf(" %s=[", what);
	for (size_t i = 0; i < n; i++)
		printf("%s%lld", i > 0 ? "," : "", (long long)ids[i]);
	printf("]");
}

static void
on_netmap(void *ctx, const struct tailnet_netmap *nm, const struct tailnet_netmap_change *c)
{
	struct probe *p = ctx;

	printf("netmap generation=%llu peers=%zu", (unsigned long long)nm->generation,
	       nm->peer_count);
	print_ids("added", c->added, c->added_count);
	print_ids("changed", c->changed, c->changed_count);
	print_ids("removed", c->removed, c->removed_count);
	printf(" self=%d derp=%d filter=%d full=%d\n", c->self_changed, c->derp_changed,
	       c->filter_changed, c->full_peer_set);
	fflush(stdout);
	write_status(p);
}

static void
on_state(void *ctx, enum tailnet_state state, const char *reason)
{
	struct probe *p = ctx;

	printf("state %s %s\n", tailnet_state_name(state), reason);
	fflush(stdout);
	write_status(p);
}

static void
on_message(void *ctx, const char *json, size_t len)
{
	struct probe *p = ctx;
	char path[4096];
	FILE *f;

	if (p->dump_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%04u.json", p->dump_dir, p->dumped++);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fwrite(json, 1, len, f);
	fputc('\n', f);
	fclose(f);
}

static void
publish_endpoints(struct probe *p)
{
	struct netendpoint eps[TAILNET_ENDPOINTS_MAX];
	uint8_t types[TAILNET_ENDPOINTS_MAX];
	char line[256];
	size_t n = 0;
	FILE *f;

	if (p->endpoints_file == NULL)
		return;
	f = fopen(p->endpoints_file, "r");
	if (f == NULL) {
		log_warn("probe: %s: %s", p->endpoints_file, strerror(errno));
		return;
	}
	while (n < TAILNET_ENDPOINTS_MAX && fgets(line, sizeof(line), f) != NULL) {
		char text[128];
		unsigned int type = 1;
		const char *why;

		if (sscanf(line, "%127s %u", text, &type) < 1)
			continue;
		memset(&eps[n], 0, sizeof(eps[n]));
		if (netendpoint_parse(text, &eps[n], &why) < 0) {
			log_warn("probe: endpoint %s: %s", text, why);
			continue;
		}
		types[n++] = (uint8_t)type;
	}
	fclose(f);
	tailnet_set_endpoints(p->tailnet, eps, types, n);
	printf("endpoints %zu published\n", n);
	fflush(stdout);
}

static void
publish_netinfo(struct probe *p)
{
	struct tailnet_netinfo ni = {.preferred_derp = p->preferred_derp,
				     .working_udp = TAILNET_TRUE,
				     .working_ipv6 = TAILNET_FALSE};

	tailnet_set_netinfo(p->tailnet, &ni);
}

static void
on_signal(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct probe *p = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			publish_endpoints(p);
		} else if (si.ssi_signo == SIGHUP) {
			p->preferred_derp++;
			publish_netinfo(p);
			printf("preferred DERP %u\n", p->preferred_derp);
			fflush(stdout);
		} else if (si.ssi_signo == SIGUSR2) {
			uint8_t key[32], pub[32];

			randombytes_buf(key, sizeof(key));
			crypto_scalarmult_base(pub, key);
			tailnet_set_disco_key(p->tailnet, pub);
			printf("disco key changed\n");
			fflush(stdout);
		} else {
			loop_stop(loop);
		}
	}
}

static uint64_t
on_tick(struct loop *loop, uint64_t now, void *arg)
{
	(void)loop;
	write_status(arg);
	return now + 1000000000ull;
}

/* The node key: a base64 WireGuard key in a file, made (0600) when missing. */
static int
node_key(const char *path, uint8_t key[32])
{
	char why[512], text[KEY_BASE64_LEN + 1];
	FILE *f;

	if (access(path, F_OK) == 0)
		return keyfile_read(path, NULL, key, why, sizeof(why)) == 0
			       ? 0
			       : (fprintf(stderr, "tailnet-probe: %s\n", why), -1);
	randombytes_buf(key, 32);
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
	key_to_base64(text, key);
	umask(077);
	f = fopen(path, "w");
	if (f == NULL || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0) {
		fprintf(stderr, "tailnet-probe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: tailnet-probe --login-server URL --state-dir DIR [--auth-key-file F]\n"
		"       [--hostname H] [--advertise-exit-node] [--plain-json] [--status-file F]\n"
		"       [--endpoints-file F] [--dump-dir D] [--preferred-derp N] [--max-peers N]\n"
		"       [--backoff-max-ms N] [--watchdog-ms N] [--ca-file F] [--debug]\n");
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"login-server", required_argument, NULL, 'l'},
		{"state-dir", required_argument, NULL, 's'},
		{"auth-key-file", required_argument, NULL, 'a'},
		{"hostname", required_argument, NULL, 'n'},
		{"advertise-exit-node", no_argument, NULL, 'x'},
		{"plain-json", no_argument, NULL, 'j'},
		{"status-file", required_argument, NULL, 'f'},
		{"endpoints-file", required_argument, NULL, 'e'},
		{"dump-dir", required_argument, NULL, 'd'},
		{"preferred-derp", required_argument, NULL, 'p'},
		{"max-peers", required_argument, NULL, 'm'},
		{"backoff-max-ms", required_argument, NULL, 'b'},
		{"watchdog-ms", required_argument, NULL, 'w'},
		{"ca-file", required_argument, NULL, 'c'},
		{"debug", no_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	struct tailnet_config config = {0};
	struct probe p = {0};
	char key_path[4096];
	sigset_t mask;
	int opt, sfd, rc = 1;

	log_set_program("tailnet-probe");
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			config.login_server = optarg;
			break;
		case 's':
			config.state_dir = optarg;
			break;
		case 'a':
			config.auth_key_file = optarg;
			break;
		case 'n':
			config.hostname = optarg;
			break;
		case 'x':
			config.advertise_exit_node = true;
			break;
		case 'j':
			config.plain_json = true;
			break;
		case 'f':
			p.status_file = optarg;
			break;
		case 'e':
			p.endpoints_file = optarg;
			break;
		case 'd':
			p.dump_dir = optarg;
			break;
		case 'p':
			p.preferred_derp = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			config.max_peers = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			config.backoff_max_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			config.watchdog_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			config.ca_file = optarg;
			break;
		case 'D':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (config.login_server == NULL || config.state_dir == NULL) {
		usage();
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir(config.state_dir, 0700);
	snprintf(key_path, sizeof(key_path), "%s/node.key", config.state_dir);
	if (node_key(key_path, config.node_private_key) < 0)
		return 1;
	{
		uint8_t disco_private[32];

		randombytes_buf(disco_private, sizeof(disco_private));
		crypto_scalarmult_base(config.disco_public_key, disco_private);
		sodium_memzero(disco_private, sizeof(disco_private));
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	p.loop = loop_create();
	if (sfd < 0 || p.loop == NULL || loop_add_fd(p.loop, sfd, EPOLLIN, on_signal, &p) < 0)
		goto out;
	config.loop = p.loop;
	config.on_netmap = on_netmap;
	config.on_state = on_state;
	config.on_message = on_message;
	config.ctx = &p;
	p.tailnet = tailnet_create(&config);
	sodium_memzero(config.node_private_key, sizeof(config.node_private_key));
	if (p.tailnet == NULL)
		goto out;
	{
		uint8_t mkey[32];
		char hex[65];

		tailnet_machine_public_key(p.tailnet, mkey);
		sodium_bin2hex(hex, sizeof(hex), mkey, sizeof(mkey));
		printf("machine key mkey:%s\n", hex);
	}
	publish_endpoints(&p);
	publish_netinfo(&p);
	loop_add_timer(p.loop, on_tick, &p, 0);
	rc = loop_run(p.loop) == 0 ? 0 : 1;
	write_status(&p);
	printf("exiting\n");
out:
	tailnet_destroy(p.tailnet);
	if (sfd >= 0 && p.loop != NULL)
		loop_del_fd(p.loop, sfd);
	if (sfd >= 0)
		close(sfd);
	loop_destroy(p.loop);
	return rc;
}
