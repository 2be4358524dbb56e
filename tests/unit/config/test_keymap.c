/* SPDX-License-Identifier: BSD-3-Clause */
/* The key map against a naive model (an array searched linearly), through random adds,
 * replaces and removes, including keys that share their first bytes and heavy churn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keymap.h"

enum {
	MODEL_KEYS = 600,
};

struct model {
	uint8_t key[MODEL_KEYS][KEYMAP_KEY_LEN];
	void *value[MODEL_KEYS]; /* NULL = absent */
};

static void
make_key(uint8_t key[KEYMAP_KEY_LEN], unsigned int i)
{
	/* keys that differ only in their last bytes: the hash must spread them */
	memset(key, 0xab, KEYMAP_KEY_LEN);
	key[30] = (uint8_t)(i >> 8);
	key[31] = (uint8_t)i;
}

static void
check_all(const struct keymap *m, const struct model *model)
{
	size_t present = 0, iterated = 0, i = 0;
	const uint8_t *key;
	void *value;

	for (unsigned int k = 0; k < MODEL_KEYS; k++) {
		assert_ptr_equal(keymap_get(m, model->key[k]), model->value[k]);
		present += model->value[k] != NULL;
	}
	assert_int_equal(m->count, present);
	while (keymap_next(m, &i, &key, &value)) {
		unsigned int k = (unsigned int)(key[30] << 8 | key[31]);

		assert_true(k < MODEL_KEYS);
		assert_ptr_equal(model->value[k], value);
		iterated++;
	}
	assert_int_equal(iterated, present);
}

static void
test_against_model(void **state)
{
	static struct model model;
	struct keymap m;
	uint8_t values[MODEL_KEYS];

	(void)state;
	assert_int_equal(keymap_init(&m, 0), 0);
	for (unsigned int k = 0; k < MODEL_KEYS; k++) {
		make_key(model.key[k], k);
		model.value[k] = NULL;
	}
	for (unsigned int step = 0; step < 200000; step++) {
		unsigned int k = randombytes_uniform(MODEL_KEYS);

		switch (randombytes_uniform(3)) {
		case 0:
		case 1:
			assert_int_equal(keymap_put(&m, model.key[k], &values[k]), 0);
			model.value[k] = &values[k];
			break;
		default:
			assert_ptr_equal(keymap_del(&m, model.key[k]), model.value[k]);
			model.value[k] = NULL;
			break;
		}
		if (step % 997 == 0)
			check_all(&m, &model);
	}
	check_all(&m, &model);
	/* empty it: nothing left, and the table is still usable */
	for (unsigned int k = 0; k < MODEL_KEYS; k++) {
		keymap_del(&m, model.key[k]);
		model.value[k] = NULL;
	}
	check_all(&m, &model);
	assert_int_equal(keymap_put(&m, model.key[7], &values[7]), 0);
	assert_ptr_equal(keymap_get(&m, model.key[7]), &values[7]);
	keymap_free(&m);
}

static void
test_reserve(void **state)
{
	struct keymap m;
	uint8_t key[KEYMAP_KEY_LEN] = {1};
	int v;

	(void)state;
	assert_int_equal(keymap_init(&m, 1000), 0);
	assert_true(m.capacity >= 2000);
	assert_null(keymap_get(&m, key));
	assert_null(keymap_del(&m, key));
	assert_int_equal(keymap_put(&m, key, &v), 0);
	assert_int_equal(keymap_put(&m, key, &v), 0); /* replace, not a second entry */
	assert_int_equal(m.count, 1);
	keymap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_reserve),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
