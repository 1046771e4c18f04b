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

static void test_uring(void **state)
{
	struct vu_opts o;

	assert_int_equal(PARSE(&o, "/g", "/m"), 0);
	assert_null(o.uring);           /* off by default (vunifyfs.8) */
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "uring=on", "/g", "/m"), 0);
	assert_string_equal(o.uring, "on");
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "uring=yes", "/g", "/m"), -1);
	assert_string_equal(o.error, "uring=yes: must be auto, on or off");
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

/* Every numeric option is parsed whole and range-checked (issue 12:
 * inodes=1e9 mounted with a limit of 1, inodes=5x with 5, threads=-3 and
 * threads=0 mounted); the message names the option and the value. */
static void test_numbers_strict(void **state)
{
	static const char *const bad[] = {
		"inodes=1e9", "inodes=5x", "inodes=0", "inodes=-1", "inodes=",
		"inodes=9223372036854775808", "inodes=18446744073709551616",
		"inodes= 5", "inodes=0x10", "inodes=1k",
		"threads=-3", "threads=0", "threads=1025", "threads=4x", "threads=",
		"threads=4294967297", "threads=+4",
		"max_read=4095", "max_read=4294967296", "max_read=-4096", "max_read=128kx",
		"max_read=1e6",
		"reserved=5x", "reserved=-1", "reserved=51", "reserved=",
		"timeout=nan", "timeout=inf", "timeout=1e3", "timeout=5x", "timeout=-3",
		"timeout=1000000000.5", "timeout=1000000001", "timeout=.5", "timeout=5.",
		"timeout=0x10", "timeout=", "space=20000000000G",
	};
	struct vu_opts o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (PARSE(&o, "-o", (char *)bad[i], "/g", "/m") != -1)
			fail_msg("-o %s accepted", bad[i]);
		/* "NAME=VALUE: why", one line, the value as given. */
		if (strncmp(o.error, bad[i], strlen(bad[i])) || o.error[strlen(bad[i])] != ':')
			fail_msg("-o %s: message '%s' does not start with the option", bad[i], o.error);
		assert_null(strchr(o.error, '\n'));
		vu_opts_free(&o);
	}
	/* Nothing wrong with the same option given twice, the last wins. */
	assert_int_equal(PARSE(&o, "-o", "threads=3,threads=5", "/g", "/m"), 0);
	assert_int_equal(o.threads, 5);
	vu_opts_free(&o);
}

static void test_numbers_bounds(void **state)
{
	struct vu_opts o;

	assert_int_equal(PARSE(&o, "-o", "inodes=1,threads=1,max_read=4096,reserved=0,space=1,"
				  "timeout=0", "/g", "/m"), 0);
	assert_int_equal(o.inodes, 1);
	assert_int_equal(o.threads, 1);
	assert_int_equal(o.max_read, 4096);
	assert_int_equal(o.reserved, 0);
	assert_int_equal(o.space_bytes, 1);
	assert_true(o.timeout == 0);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "inodes=9223372036854775807,threads=1024,"
				  "max_read=4294967295,reserved=50,space=8388607T,timeout=1000000000",
				  "/g", "/m"), 0);
	assert_true(o.inodes == 9223372036854775807ull);
	assert_int_equal(o.threads, 1024);
	assert_true(o.max_read == 4294967295u);
	assert_int_equal(o.reserved, 50);
	assert_true(o.space_bytes == 8388607ull << 40);
	assert_true(o.timeout == 1e9);
	vu_opts_free(&o);
	assert_int_equal(PARSE(&o, "-o", "max_read=128K,timeout=0.25,inodes=1000000000",
				  "/g", "/m"), 0);
	assert_int_equal(o.max_read, 131072);
	assert_true(o.timeout == 0.25);
	assert_int_equal(o.inodes, 1000000000);
	assert_int_equal(o.reserved, -1);       /* not given */
	vu_opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positionals_both_orders),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_is_error),
		cmocka_unit_test(test_uring),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_ignored_and_values),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_numbers_strict),
		cmocka_unit_test(test_numbers_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
