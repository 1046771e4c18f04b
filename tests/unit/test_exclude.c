// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the exclude rules (unify/exclude.c): the Linux-VServer
 * rule syntax, first match wins, decisions inherited below directories,
 * the defaults and the protected files, rule files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ut_exclude.h"

#include "vunify/exclude.h"

#define walk ut_exclude_walk

static void rules(struct vu_exclude *ex, bool defaults, const char *const *r)
{
	struct vu_err e;

	assert_int_equal(vu_exclude_init(ex, defaults, &e), 0);
	for (; r && *r; r++)
		assert_int_equal(vu_exclude_add(ex, *r, &e), 0);
	assert_int_equal(vu_exclude_finish(ex, &e), 0);
}

static void test_syntax(void **state)
{
	static const char *const r[] = { "/a", "-/b", "+/c", "~/d", "# comment", "", NULL };
	struct vu_exclude ex;
	struct vu_err e;

	(void)state;
	rules(&ex, false, r);
	assert_int_equal(ex.n, 4);
	assert_int_equal(walk(&ex, "/a"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/b"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/c"), VU_EX_INCLUDE);
	assert_int_equal(walk(&ex, "/d"), VU_EX_SKIP);
	assert_int_equal(walk(&ex, "/e"), VU_EX_NONE);
	assert_int_equal(vu_exclude_add(&ex, "etc/passwd", &e), -1);
	assert_non_null(strstr(e.msg, "must start with '/'"));
	assert_int_equal(vu_exclude_add(&ex, "+", &e), -1);
	vu_exclude_free(&ex);
}

static void test_first_match(void **state)
{
	static const char *const r[] = { "/usr/share/doc/*", "+/usr/share/doc/readme",
					 "+/usr/lib/keep", "/usr/lib/*", NULL };
	struct vu_exclude ex;

	(void)state;
	rules(&ex, false, r);
	assert_int_equal(walk(&ex, "/usr/share/doc/readme"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/usr/lib/keep"), VU_EX_INCLUDE);
	assert_int_equal(walk(&ex, "/usr/lib/other"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/usr/bin/x"), VU_EX_NONE);
	vu_exclude_free(&ex);
}

/* A wildcard does not cross '/', but what a directory's rule decides holds
 * below it, until a rule matches a deeper path. */
static void test_inheritance(void **state)
{
	static const char *const r[] = { "+/var/lib/keep/*", "/var", "/etc/*", "~/proc", NULL };
	struct vu_exclude ex;

	(void)state;
	rules(&ex, false, r);
	assert_int_equal(vu_exclude_match(&ex, "/etc/a/b", VU_EX_NONE), VU_EX_NONE);
	assert_int_equal(walk(&ex, "/etc/a/b"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/var/lib/x"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/var/lib/keep/y"), VU_EX_INCLUDE);
	assert_int_equal(walk(&ex, "/var/lib/keep/y/z"), VU_EX_INCLUDE);
	assert_int_equal(walk(&ex, "/proc/1/status"), VU_EX_SKIP);
	assert_int_equal(walk(&ex, "/etc"), VU_EX_NONE);
	/* Worth walking an excluded directory only if an include may match below. */
	assert_true(vu_exclude_may_include_below(&ex, "/var"));
	assert_true(vu_exclude_may_include_below(&ex, "/var/lib"));
	assert_false(vu_exclude_may_include_below(&ex, "/etc"));
	assert_false(vu_exclude_may_include_below(&ex, "/var/log"));
	assert_false(vu_exclude_may_include_below(&ex, "/va"));
	vu_exclude_free(&ex);
}

static void test_defaults(void **state)
{
	static const char *const r[] = { "+/etc/*", NULL };
	struct vu_exclude ex;

	(void)state;
	rules(&ex, true, NULL);
	assert_int_equal(walk(&ex, "/etc/hostname"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/etc/ssl/certs/a.pem"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/etc"), VU_EX_NONE);
	for (const char *p = "/var/lib/dpkg/status\0/tmp/x\0/home/u/.bashrc\0/root/.profile\0"
			     "/proc/1/maps\0/sys/kernel\0/dev/null\0/run/x\0"; *p; p += strlen(p) + 1)
		assert_int_equal(walk(&ex, p), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/root"), VU_EX_NONE);
	assert_int_equal(walk(&ex, "/usr/bin/ls"), VU_EX_NONE);
	assert_int_equal(walk(&ex, "/lib/libc.so.6"), VU_EX_NONE);
	vu_exclude_free(&ex);

	/* The caller's rules come before the defaults, but not before the
	 * protected files. */
	rules(&ex, true, r);
	assert_int_equal(walk(&ex, "/etc/hostname"), VU_EX_INCLUDE);
	for (const char *p = "/etc/passwd\0/etc/shadow\0/etc/group\0/etc/gshadow\0/etc/shadow-\0"; *p;
	     p += strlen(p) + 1)
		assert_int_equal(walk(&ex, p), VU_EX_EXCLUDE);
	vu_exclude_free(&ex);

	rules(&ex, false, NULL);
	assert_int_equal(walk(&ex, "/etc/passwd"), VU_EX_NONE);
	assert_int_equal(ex.n, 0);
	vu_exclude_free(&ex);
}

static void test_file(void **state)
{
	char path[] = "/tmp/vu-test-exclude.XXXXXX";
	struct vu_exclude ex;
	struct vu_err e;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	assert_non_null(f);
	fputs("# rules\r\n\r\n+/opt/keep\r\n/opt/*\n~/skip\nbad rule\n", f);
	fclose(f);
	assert_int_equal(vu_exclude_init(&ex, false, &e), 0);
	assert_int_equal(vu_exclude_add_file(&ex, path, &e), -1);
	assert_non_null(strstr(e.msg, ":6: exclude rule 'bad rule'"));
	assert_int_equal(walk(&ex, "/opt/keep"), VU_EX_INCLUDE);
	assert_int_equal(walk(&ex, "/opt/x"), VU_EX_EXCLUDE);
	assert_int_equal(walk(&ex, "/skip"), VU_EX_SKIP);
	vu_exclude_free(&ex);
	unlink(path);
	assert_int_equal(vu_exclude_init(&ex, false, &e), 0);
	assert_int_equal(vu_exclude_add_file(&ex, path, &e), -1);
	assert_non_null(strstr(e.msg, "No such file or directory"));
	vu_exclude_free(&ex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_first_match),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
