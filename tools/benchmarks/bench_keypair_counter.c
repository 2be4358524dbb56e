/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_keypair_counter: what the shared send counter of a keypair costs per packet, taken the
 * way keypair.h does it (one fetch_add per burst of 32 through
 * wg_keypair_reserve_send_counters) against one fetch_add per packet, with one sender and with
 * two senders on two cores sharing the keypair (the contended case of several workers
 * encrypting for one peer).
 *
 *   bench_keypair_counter [-t SECONDS]
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keypair.h"
#include "transport.h"

struct sender {
	pthread_t thread;
	struct wg_keypair *kp;
	uint32_t per_call; /* counters reserved per call: 1 or a burst */
	int cpu;
	double seconds;
	uint64_t packets;
	double elapsed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run_sender(void *arg)
{
	struct sender *s = arg;
	cpu_set_t set;
	uint64_t first, sum = 0;
	double start;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	start = now_s();
	do {
		unsigned k;

		for (k = 0; k < 4096; k++) {
			uint32_t got = wg_keypair_reserve_send_counters(s->kp, s->per_call, &first);

			s->packets += got;
			sum += first;
		}
		s->elapsed = now_s() - start;
	} while (s->elapsed < s->seconds);
	/* keep the results alive */
	if (sum == 1)
		fprintf(stderr, " ");
	return NULL;
}

static void
bench(const char *name, uint32_t per_call, int threads, double seconds)
{
	static const uint8_t key[32];
	struct wg_keypair *kp = aligned_alloc(WG_CACHE_LINE, sizeof(*kp));
	struct sender s[2];
	double ns_per_packet = 0;
	uint64_t total = 0;
	int i;

	if (kp == NULL)
		exit(1);
	wg_keypair_init(kp, key, key, 1, 2, true, 0);
	memset(s, 0, sizeof(s));
	for (i = 0; i < threads; i++) {
		s[i] = (struct sender){
			.kp = kp, .per_call = per_call, .cpu = i, .seconds = seconds
		};
		pthread_create(&s[i].thread, NULL, run_sender, &s[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(s[i].thread, NULL);
		total += s[i].packets;
		ns_per_packet += s[i].elapsed * 1e9 / (double)s[i].packets;
	}
	ns_per_packet /= threads;
	printf("%-28s %7d %12.2f %14.0f\n", name, threads, ns_per_packet,
	       (double)total / s[0].elapsed);
	if (wg_keypair_send_counter(kp) != total) {
		fprintf(stderr, "bench_keypair_counter: counters handed out %llu != %llu\n",
			(unsigned long long)wg_keypair_send_counter(kp), (unsigned long long)total);
		exit(1);
	}
	free(kp);
}

int
main(int argc, char **argv)
{
	double seconds = 0.5;
	int opt;
	int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't') {
			fprintf(stderr, "usage: bench_keypair_counter [-t SECONDS]\n");
			return 2;
		}
		seconds = strtod(optarg, NULL);
	}
	printf("%-28s %7s %12s %14s\n", "send counter", "senders", "ns/packet", "packets/s");
	bench("fetch_add per packet", 1, 1, seconds);
	bench("fetch_add per burst of 32", WG_TRANSPORT_BURST_MAX, 1, seconds);
	if (cpus >= 2) {
		bench("fetch_add per packet", 1, 2, seconds);
		bench("fetch_add per burst of 32", WG_TRANSPORT_BURST_MAX, 2, seconds);
	}
	return 0;
}
