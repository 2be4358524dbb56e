/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "prom_text.h"

static void
escaped(struct strbuf *out, const char *s, int quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '"' && quote)
			rep = "\\\"";
		if (rep == NULL)
			continue;
		strbuf_append(out, run, (size_t)(s - run));
		strbuf_puts(out, rep);
		run = s + 1;
	}
	strbuf_append(out, run, (size_t)(s - run));
}

void
prom_label_value(struct strbuf *out, const char *value)
{
	strbuf_puts(out, "\"");
	escaped(out, value, 1);
	strbuf_puts(out, "\"");
}

void
prom_family(struct strbuf *out, const char *name, enum prom_type type, const char *help)
{
	static const char *const types[] = {
		[PROM_COUNTER] = "counter",
		[PROM_GAUGE] = "gauge",
		[PROM_HISTOGRAM] = "histogram",
	};

	strbuf_printf(out, "# HELP %s ", name);
	escaped(out, help, 0);
	strbuf_printf(out, "\n# TYPE %s %s\n", name, types[type]);
}

static void
sample_head(struct strbuf *out, const char *name, const struct prom_label *labels, size_t n)
{
	strbuf_puts(out, name);
	if (n == 0)
		return;
	strbuf_puts(out, "{");
	for (size_t i = 0; i < n; i++) {
		strbuf_printf(out, "%s%s=", i ? "," : "", labels[i].name);
		prom_label_value(out, labels[i].value);
	}
	strbuf_puts(out, "}");
}

void
prom_sample_u64(struct strbuf *out, const char *name, const struct prom_label *labels, size_t n,
		uint64_t value)
{
	sample_head(out, name, labels, n);
	strbuf_printf(out, " %llu\n", (unsigned long long)value);
}

void
prom_sample_f64(struct strbuf *out, const char *name, const struct prom_label *labels, size_t n,
		double value)
{
	sample_head(out, name, labels, n);
	if (isnan(value))
		strbuf_puts(out, " NaN\n");
	else if (isinf(value))
		strbuf_puts(out, value > 0 ? " +Inf\n" : " -Inf\n");
	else {
		char text[32];

		/* the shortest of the two that reads back as the same double */
		snprintf(text, sizeof(text), "%.15g", value);
		if (strtod(text, NULL) != value)
			snprintf(text, sizeof(text), "%.17g", value);
		strbuf_printf(out, " %s\n", text);
	}
}
