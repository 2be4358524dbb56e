/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_derp: relay throughput and idle-connection memory of exitgate-derper on loopback.
 * Starts the relay (pinned to one CPU), drives clients from exitgate's DERP client library in
 * one epoll loop (pinned to another), and prints figures; it asserts nothing.
 *   bench_derp --derper PATH [--pairs 1,2] [--sizes 64,512,1420] [--seconds 3] [--idle 10000]
 */

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "derp_client.h"
#include "log.h"

enum {
	MAX_CLIENTS = 20000,
	PENDING_LIMIT = 192 << 10,
	PORT = 18443,
};

struct bench_client {
	struct derp_client *client;
	struct derp_client_epoll reg;
	uint64_t packets;
	uint64_t bytes;
};

static struct bench_client *clients;
static size_t client_count;
static int epfd;
static char pin[128];

static void
on_packet(void *ctx, const uint8_t src[DERP_KEY_LEN], const uint8_t *packet, size_t len)
{
	struct bench_client *b = ctx;

	(void)src;
	(void)packet;
	b->packets++;
	b->bytes += len;
}

static int
add_clients(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bench_client *b = &clients[client_count];
		struct derp_client_config cfg = {
			.host_name = "bench.test", .cert_name = pin, .ipv4 = "127.0.0.1",
			.port = PORT, .on_packet = on_packet, .ctx = b,
			.connect_timeout_ms = 60000,
		};

		randombytes_buf(cfg.private_key, sizeof(cfg.private_key));
		memset(b, 0, sizeof(*b));
		b->client = derp_client_new(&cfg);
		sodium_memzero(cfg.private_key, sizeof(cfg.private_key));
		if (b->client == NULL)
			return -1;
		derp_client_start(b->client, derp_client_now_ms());
		client_count++;
	}
	return 0;
}

static void
free_clients(void)
{
	for (size_t i = 0; i < client_count; i++)
		derp_client_free(clients[i].client);
	client_count = 0;
}

static void
turn(int max_wait_ms)
{
	struct epoll_event events[256];
	uint64_t now = derp_client_now_ms(), deadline = UINT64_MAX;
	int n, timeout;

	for (size_t i = 0; i < client_count; i++) {
		uint64_t d;

		derp_client_epoll_sync(clients[i].client, epfd, &clients[i].reg, i);
		d = derp_client_next_deadline(clients[i].client);
		if (d < deadline)
			deadline = d;
	}
	timeout = deadline <= now ? 0 : deadline - now > (uint64_t)max_wait_ms
						 ? max_wait_ms
						 : (int)(deadline - now);
	n = epoll_wait(epfd, events, 256, timeout);
	now = derp_client_now_ms();
	for (int i = 0; i < n; i++)
		derp_client_dispatch(clients[events[i].data.u64].client, events[i].events, now);
	if (deadline <= now) {
		for (size_t i = 0; i < client_count; i++) {
			if (derp_client_next_deadline(clients[i].client) <= now)
				derp_client_dispatch(clients[i].client, 0, now);
		}
	}
}

static size_t
connected_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < client_count; i++)
		n += derp_client_state(clients[i].client) == DERP_CLIENT_CONNECTED;
	return n;
}

static int
wait_connected(uint64_t limit_ms)
{
	uint64_t end = derp_client_now_ms() + limit_ms;

	while (connected_count() < client_count) {
		if (derp_client_now_ms() > end)
			return -1;
		turn(20);
	}
	return 0;
}

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void
pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "bench_derp: sched_setaffinity %d: %s\n", cpu, strerror(errno));
}

static pid_t
start_derper(const char *path, const char *pin_file, int cpu)
{
	char listen[32];
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", PORT);
	unlink(pin_file);
	pid = fork();
	if (pid == 0) {
		pin_to_cpu(cpu);
		execl(path, path, "--listen", listen, "--self-signed", "bench.test", "--pin-file",
		      pin_file, "--stun-port", "0", "--log-level", "warn", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(pin_file, "r");

		if (f != NULL) {
			bool ok = fgets(pin, sizeof(pin), f) != NULL;

			fclose(f);
			if (ok) {
				pin[strcspn(pin, "\n")] = '\0';
				return pid;
			}
		}
		usleep(50000);
	}
	kill(pid, SIGTERM);
	return -1;
}

static void
print_machine(int client_cpu, int server_cpu)
{
	char line[256], model[256] = "unknown";
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "model name", 10) == 0) {
				snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	uname(&u);
	printf("machine: %s, %ld online CPUs, %s %s, %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       u.sysname, u.release, OpenSSL_version(OPENSSL_VERSION));
	printf("pinning: relay on CPU %d, clients on CPU %d (both TLS ends on this machine)\n",
	       server_cpu, client_cpu);
}

static void
throughput(int pairs, size_t size, int seconds)
{
	static uint8_t packet[65536];
	uint64_t start, end, packets = 0, bytes = 0, sent_drops = 0;
	double secs;

	add_clients((size_t)pairs * 2);
	if (wait_connected(20000) < 0) {
		printf("throughput: clients did not connect\n");
		free_clients();
		return;
	}
	memset(packet, 0xab, size);
	/* Half a second of warm-up, then the measured window. */
	start = derp_client_now_ms() + 500;
	end = start + (uint64_t)seconds * 1000;
	for (;;) {
		uint64_t now = derp_client_now_ms();

		if (now >= end)
			break;
		if (now >= start && packets == 0 && bytes == 0) {
			for (size_t i = 0; i < client_count; i++)
				clients[i].packets = clients[i].bytes = 0;
			packets = 1; /* reset once */
		}
		for (int p = 0; p < pairs; p++) {
			struct derp_client *tx = clients[2 * p].client;
			const uint8_t *dst = derp_client_public_key(clients[2 * p + 1].client);

			while (derp_client_pending(tx) < PENDING_LIMIT) {
				if (derp_client_send(tx, dst, packet, size, now) < 0) {
					sent_drops++;
					break;
				}
			}
		}
		turn(5);
	}
	packets = bytes = 0;
	for (size_t i = 0; i < client_count; i++) {
		packets += clients[i].packets;
		bytes += clients[i].bytes;
	}
	secs = (double)(end - start) / 1000.0;
	printf("throughput: pairs=%d size=%4zu  %10.0f packets/s  %7.3f Gbit/s (payload)\n", pairs,
	       size, (double)packets / secs, (double)bytes * 8 / secs / 1e9);
	(void)sent_drops;
	free_clients();
}

static void
idle_memory(pid_t server, size_t count)
{
	long before, after;
	uint64_t t0;

	before = rss_kb(server);
	t0 = derp_client_now_ms();
	if (add_clients(count) < 0 || wait_connected(300000) < 0) {
		printf("idle: only %zu of %zu clients connected\n", connected_count(), count);
		free_clients();
		return;
	}
	/* Let the relay settle (it trims buffers every 100 ms and its heap every 2 s). */
	for (int i = 0; i < 60; i++)
		turn(50);
	after = rss_kb(server);
	printf("idle: %zu connected clients in %.1f s; relay RSS %ld kB -> %ld kB: %.0f bytes per "
	       "idle connection\n",
	       count, (double)(derp_client_now_ms() - t0) / 1000.0, before, after,
	       (double)(after - before) * 1024.0 / (double)count);
	free_clients();
}

static int
usage(FILE *to, int status)
{
	fprintf(to, "usage: bench_derp --derper PATH [--pairs 1,2] [--sizes 64,512,1420] "
		    "[--seconds 3] [--idle 10000]\n");
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"derper", required_argument, NULL, 'd'},
		{"pairs", required_argument, NULL, 'p'},
		{"sizes", required_argument, NULL, 's'},
		{"seconds", required_argument, NULL, 't'},
		{"idle", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	const char *derper = NULL;
	char pairs_list[64] = "1,2", sizes_list[64] = "64,512,1420", pin_file[64];
	int seconds = 3, opt, client_cpu = 0, server_cpu = 1;
	size_t idle = 10000;
	struct rlimit rl;
	pid_t server;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			derper = optarg;
			break;
		case 'p':
			snprintf(pairs_list, sizeof(pairs_list), "%s", optarg);
			break;
		case 's':
			snprintf(sizes_list, sizeof(sizes_list), "%s", optarg);
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'i':
			idle = strtoul(optarg, NULL, 10);
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (derper == NULL || idle > MAX_CLIENTS - 16 || seconds < 1)
		return usage(stderr, 2);
	if (sodium_init() < 0)
		return 1;
	log_set_program("bench_derp");
	log_set_level(LOG_LEVEL_WARN);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		server_cpu = 0;
	clients = calloc(MAX_CLIENTS, sizeof(*clients));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	snprintf(pin_file, sizeof(pin_file), "/tmp/bench_derp.%d.pin", (int)getpid());
	server = start_derper(derper, pin_file, server_cpu);
	if (clients == NULL || epfd < 0 || server < 0) {
		fprintf(stderr, "bench_derp: could not start %s\n", derper);
		return 1;
	}
	pin_to_cpu(client_cpu);
	print_machine(client_cpu, server_cpu);
	for (char *p = strtok(pairs_list, ","); p != NULL; p = strtok(NULL, ",")) {
		int pairs = atoi(p);
		char sizes[64];

		snprintf(sizes, sizeof(sizes), "%s", sizes_list);
		for (char *save = NULL, *s = strtok_r(sizes, ",", &save); s != NULL;
		     s = strtok_r(NULL, ",", &save))
			throughput(pairs, strtoul(s, NULL, 10), seconds);
	}
	if (idle > 0)
		idle_memory(server, idle);
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	unlink(pin_file);
	close(epfd);
	free(clients);
	return 0;
}
