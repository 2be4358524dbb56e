/* SPDX-License-Identifier: BSD-3-Clause */
#include "counters.h"

static const char *const drop_names[] = {
#define DROP_REASON_NAME(name, text) #name,
	DROP_REASONS(DROP_REASON_NAME)
#undef DROP_REASON_NAME
};

static const char *const drop_texts[] = {
#define DROP_REASON_TEXT(name, text) text,
	DROP_REASONS(DROP_REASON_TEXT)
#undef DROP_REASON_TEXT
};

static const char *const counter_names[] = {
#define WORKER_COUNTER_NAME(name) #name,
	WORKER_COUNTERS(WORKER_COUNTER_NAME)
#undef WORKER_COUNTER_NAME
};

const char *
drop_reason_name(enum drop_reason reason)
{
	return reason < DROP_REASON_COUNT ? drop_names[reason] : "?";
}

const char *
drop_reason_text(enum drop_reason reason)
{
	return reason < DROP_REASON_COUNT ? drop_texts[reason] : "?";
}

const char *
worker_counter_name(enum worker_counter which)
{
	return which < WORKER_COUNTER_COUNT ? counter_names[which] : "?";
}
