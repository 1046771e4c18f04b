// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: vunifyfs command line and mount options (fs/options.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <cmocka.h>

#include "../../fs/options.h"

#define PARSE(o, ...) ({ char *av[] = { "vunifyfs", __VA_ARGS__, NULL }; \
	vu_opts_parse(sizeof(av) / sizeof(av[0]) - 1, av, o); })

static void test_positionals_both_orders(void **state)
{
	struct vu_opts o;

	assert_int_equal(PARSE(&o, "-o", "ro", "/g", "/m"), 0);
	assert_string_equal(o.guest, "/g");
	assert_string_equal(o.mountpoint, "/m");
	assert_true(o.mountflags & MS_RDONLY);
	vu_opts_free(&o);
	/* mount.fuse3 style: options after the positionals. */
	assert_int_equal(PARSE(&o, "/g", "/m", "-o", "rw,nosuid,noexec"), 0);
	assert_string_equal(o.mountpoint, "/m");
	assert_false(o.mountflags & MS_RDONLY);
	assert_true(o.mountflags & MS_NOSUID);
	assert_true(o.mountflags & MS_NOEXEC);
	vu_opts_free(&o);
}

static void test_defaults(void **state)
{
	struct vu_opts o;

	assert_int_equal(PARSE(&o, "/g", "/m"), 0);
	assert_true(o.mountflags & MS_NODEV);
	assert_false(o.foreground);
	assert_true(o.timeout > 3600);
	assert_null(o.fsname);
	vu_opts_free(&o);
}

static void test_unknown_is_error(void **state)
{
	struct vu_opts o;

	assert_int_equal(PARSE(&o, "-o", "bogus", "/g", "/m"), -1);
	assert_non_null(strstr(o.error, "bogus"));
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "ro,allow_other,typo=1", "/g", "/m"), -1);
	assert_non_null(strstr(o.error, "typo=1"));
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-q", "/g", "/m"), -1);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "/g", "/m", "/x"), -1);
	assert_non_null(strstr(o.error, "unexpected"));
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "/g"), -1);
	vu_opts_free(&o);
}

static void test_devices(void **state)
{
	struct vu_opts o;

	/* "dev" comes from mount.fuse3 on every mount: it must not enable
	 * device nodes; only "devices" does. */
	assert_int_equal(PARSE(&o, "-o", "dev,suid", "/g", "/m"), 0);
	assert_true(o.mountflags & MS_NODEV);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "devices", "/g", "/m"), 0);
	assert_false(o.mountflags & MS_NODEV);
	vu_opts_free(&o);
}

static void test_ignored_and_values(void **state)
{
	struct vu_opts o;

	assert_int_equal(PARSE(&o, "-o", "defaults,nofail,_netdev,x-systemd.automount,comment=a,"
				  "fsname=web1,timeout=5,max_read=131072,threads=4", "/g", "/m"), 0);
	assert_string_equal(o.fsname, "web1");
	assert_true(o.timeout == 5);
	assert_int_equal(o.max_read, 131072);
	assert_int_equal(o.threads, 4);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "timeout=-3", "/g", "/m"), -1);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "subtype=a b", "/g", "/m"), -1);
	vu_opts_free(&o);
}

static void test_flags(void **state)
{
	struct vu_opts o;

	assert_int_equal(PARSE(&o, "-d", "-s", "/g", "/m"), 0);
	assert_true(o.debug && o.foreground && o.single);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "noatime,relatime", "/g", "/m"), 0);
	assert_true(o.mountflags & MS_RELATIME);
	assert_false(o.mountflags & MS_NOATIME);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "--help"), 0);
	assert_true(o.help);
	vu_opts_free(&o);
}

/* space= takes guest.conf's size grammar (include/vunify/size.h); the
 * daemon's counters are signed 64-bit, so larger sizes are refused. */
static void test_space(void **state)
{
	static const struct { const char *opt; unsigned long long bytes; } good[] = {
		{ "space=4096", 4096 }, { "space=1k", 1024 }, { "space=10M", 10ull << 20 },
		{ "space=2GiB", 2ull << 30 }, { "space=3MB", 3ull << 20 },
		{ "space=1T", 1ull << 40 }, { "space=5Gi", 5ull << 30 },
	};
	static const char *const bad[] = {
		"space=0", "space=12X", "space=-1", "space=", "space=G", "space=1GBB",
		"space=8388608T", "space=99999999999999999999",
	};
	struct vu_opts o;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(PARSE(&o, "-o", (char *)good[i].opt, "/g", "/m"), 0);
		assert_int_equal(o.space_bytes, good[i].bytes);
		vu_opts_free(&o);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(PARSE(&o, "-o", (char *)bad[i], "/g", "/m"), -1);
		assert_non_null(strstr(o.error, "not a size"));
		vu_opts_free(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positionals_both_orders),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_is_error),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_ignored_and_values),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
