// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the one number and size grammar (include/vunify/size.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vunify/size.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_size_good(void **state)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "0", 0 }, { "1", 1 }, { "4096", 4096 }, { "512B", 512 }, { "512b", 512 },
		{ "4k", 4096 }, { "4K", 4096 }, { "4KB", 4096 }, { "4KiB", 4096 },
		{ "4kib", 4096 }, { "5Gi", 5ull << 30 }, { "10M", 10ull << 20 },
		{ "3MB", 3ull << 20 }, { "2GiB", 2ull << 30 }, { "1T", 1ull << 40 },
		{ "1TiB", 1ull << 40 }, { "1P", 1ull << 50 }, { "2pib", 2ull << 50 },
		{ "007", 7 },
		/* The boundaries: the largest of each unit still fits. */
		{ "18446744073709551615", UINT64_MAX },
		{ "16383P", 16383ull << 50 },
		{ "17179869183G", 17179869183ull << 30 },
		{ "18014398509481983K", 18014398509481983ull << 10 },
	};
	uint64_t v;

	for (size_t i = 0; i < N(good); i++) {
		v = 12345;
		if (vu_parse_size(good[i].s, &v) != 0)
			fail_msg("'%s' refused", good[i].s);
		assert_int_equal(v, good[i].v);
	}
}

static void test_size_bad(void **state)
{
	/* Every one from issue 12 and its neighbours. */
	static const char *const bad[] = {
		"", "K", "B", "iB", "-1", "+1", " 1", "1 ", "1\n", "1e9", "5x", "1X", "0x10",
		"1.5G", "1KK", "1GBB", "1iB", "1Bi", "1KiBB", "1Ki B", "1,000", "١",
	};
	static const char *const huge[] = {
		"18446744073709551616", "99999999999999999999", "20000000000G",
		"16384P", "17179869184G", "18014398509481984K", "99999999999999T",
		"999999999999999999999999999999",
	};
	uint64_t v = 777;

	for (size_t i = 0; i < N(bad); i++) {
		errno = 0;
		if (vu_parse_size(bad[i], &v) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(errno, EINVAL);
	}
	for (size_t i = 0; i < N(huge); i++) {
		errno = 0;
		if (vu_parse_size(huge[i], &v) != -1)
			fail_msg("'%s' accepted", huge[i]);
		assert_int_equal(errno, ERANGE);
	}
	assert_int_equal(v, 777);       /* untouched on failure */
}

static void test_uint(void **state)
{
	static const char *const bad[] = {
		"", "-3", "+3", " 3", "3 ", "5x", "1e9", "0x10", "3k", "3.0", "-0",
	};
	uint64_t v = 777;

	assert_int_equal(vu_parse_uint("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vu_parse_uint("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(vu_parse_uint("1", 1, 1, &v), 0);
	assert_int_equal(vu_parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 777;
	/* Boundaries: one past each end of the range. */
	errno = 0;
	assert_int_equal(vu_parse_uint("0", 1, 10, &v), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(vu_parse_uint("11", 1, 10, &v), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(vu_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -1);
	assert_int_equal(errno, ERANGE);
	for (size_t i = 0; i < N(bad); i++) {
		errno = 0;
		if (vu_parse_uint(bad[i], 0, UINT64_MAX, &v) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(v, 777);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_good),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_uint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
