// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the on-disk contract helpers (include/vunify/format.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vunify/format.h"

static void test_id_valid(void **state)
{
	const char *good = "0123456789abcdef0123456789abcdef";

	assert_true(vu_id_valid(good, 32));
	assert_false(vu_id_valid(good, 31));
	assert_false(vu_id_valid("0123456789ABCDEF0123456789abcdef", 32));
	assert_false(vu_id_valid("0123456789abcdeg0123456789abcdef", 32));
	assert_false(vu_id_valid("", 0));
}

static void test_reserved(void **state)
{
	assert_true(vu_name_reserved(".vunify-tmp.b1234.5"));
	assert_true(vu_name_reserved(".vunify-tmp."));
	assert_false(vu_name_reserved(".vunify-tmp"));
	assert_false(vu_name_reserved("vunify-tmp.x"));
	assert_false(vu_name_reserved(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_reserved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
