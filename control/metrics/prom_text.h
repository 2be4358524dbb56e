/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing Prometheus's text exposition format (version 0.0.4) into a strbuf: a family's HELP
 * and TYPE lines, then its samples, each with labels. Label values and help texts are escaped
 * as the format says (backslash, double quote and newline in values; backslash and newline in
 * help), so a peer named `a"b` cannot break a line. Pure text, no node: the unit tests and
 * the fuzz target use it alone.
 */
#ifndef EXITGATE_CONTROL_METRICS_PROM_TEXT_H
#define EXITGATE_CONTROL_METRICS_PROM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum prom_type {
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
};

struct prom_label {
	const char *name;
	const char *value;
};

/* The HELP and TYPE lines that open a family; every sample of it follows before the next. */
void prom_family(struct strbuf *out, const char *name, enum prom_type type, const char *help);
/* One sample: name{labels} value. n may be 0 (labels NULL). */
void prom_sample_u64(struct strbuf *out, const char *name, const struct prom_label *labels,
		     size_t n, uint64_t value);
/* A float sample; NaN and infinities are written as NaN, +Inf and -Inf. */
void prom_sample_f64(struct strbuf *out, const char *name, const struct prom_label *labels,
		     size_t n, double value);
/* A label value, quotes included, escaped. */
void prom_label_value(struct strbuf *out, const char *value);

#endif
