/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every benchmark program shares: the machine it ran on, a clock, pinning, the median of
 * repeated segments, and the packet sizes of the figures. Benchmarks print figures; none of them
 * passes or fails on a timing (only on a wrong result, which would make its figures meaningless).
 */
#ifndef EXITGATE_BENCH_UTIL_H
#define EXITGATE_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

enum {
	BENCH_SIZE_COUNT = 3,
	BENCH_REPS = 5, /* segments per figure; the figure is their median */
};

/* Inner packet (AEAD plaintext) sizes of every figure, in bytes. */
extern const uint32_t bench_sizes[BENCH_SIZE_COUNT];

/* "model name" of /proc/cpuinfo, or "unknown". */
void bench_cpu_model(char *buf, size_t size);
/* The number of CPUs this process may run on, and the highest-numbered one of them (the
 * default benchmark core: away from CPU 0, where interrupts and the main thread tend to be). */
int bench_cpu_count(void);
int bench_default_core(void);
/* A CPU for a main thread that only waits: any other than worker_cpu, or that one on a
 * single-CPU machine. */
int bench_main_core(int worker_cpu);
/* Pin the calling thread to one CPU: 0 or -1 (logged). */
int bench_pin(int cpu);
/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);
/* Involuntary context switches of the calling thread so far: when this changes during a timed
 * stretch, another process had the CPU for part of it. */
uint64_t bench_preemptions(void);
/* Median of n values (sorts v). */
double bench_median(double *v, size_t n);
/* Parse a positive decimal number of seconds ("0.5", "3"); -1 when it is not one. */
double bench_parse_seconds(const char *text);

#endif
