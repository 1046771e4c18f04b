// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the exclude options the hashing tools share
 * (unify/cli.c): vhashify starts with Linux-VServer's default rules,
 * vclone without them but with the protected files; --default-excludes
 * and --no-default-excludes switch both, the last one given winning; the
 * caller's rules come after the protected files either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ut_exclude.h"

#include "vunify/cli.h"

#define walk ut_exclude_walk

/* Parse @opts (option codes, 0-terminated) over defaults @defaults. */
static void build(struct vu_exclude *ex, bool defaults, const int *opts, const char *rule)
{
	struct vu_cli cli;
	struct vu_cli_hash h;
	struct vu_err e;

	vu_cli_init(&cli, "test");
	assert_int_equal(vu_cli_hash_init(&h, 4, defaults), 0);
	for (; opts && *opts; opts++)
		assert_int_equal(vu_cli_hash_opt(&cli, &h, *opts, NULL), 1);
	if (rule)
		assert_int_equal(vu_cli_hash_opt(&cli, &h, 'x', rule), 1);
	assert_int_equal(vu_cli_hash_excludes(&h, ex, &e), 0);
	vu_cli_hash_free(&h);
}

static void test_vhashify_defaults(void **state)
{
	struct vu_exclude ex;

	build(&ex, true, NULL, NULL);
	assert_false(vu_ex_included(walk(&ex, "/etc/hostname")));
	assert_false(vu_ex_included(walk(&ex, "/var/lib/x")));
	assert_false(vu_ex_included(walk(&ex, "/etc/passwd")));
	assert_true(vu_ex_included(walk(&ex, "/usr/bin/x")));
	vu_exclude_free(&ex);
}

static void test_vclone_defaults(void **state)
{
	struct vu_exclude ex;

	/* Everything shared but the protected files, which a rule of the
	 * caller cannot bring in: they come first. */
	build(&ex, false, NULL, "+/etc/*");
	assert_true(vu_ex_included(walk(&ex, "/etc/hostname")));
	assert_true(vu_ex_included(walk(&ex, "/var/lib/x")));
	assert_true(vu_ex_included(walk(&ex, "/home/u/f")));
	assert_false(vu_ex_included(walk(&ex, "/etc/passwd")));
	assert_false(vu_ex_included(walk(&ex, "/etc/shadow-")));
	vu_exclude_free(&ex);
}

static void test_switches(void **state)
{
	static const int on[] = { VU_CLI_OPT_DEFAULT, 0 };
	static const int off[] = { VU_CLI_OPT_NO_DEFAULT, 0 };
	static const int off_on[] = { VU_CLI_OPT_NO_DEFAULT, VU_CLI_OPT_DEFAULT, 0 };
	static const int on_off[] = { VU_CLI_OPT_DEFAULT, VU_CLI_OPT_NO_DEFAULT, 0 };
	struct vu_exclude ex;

	build(&ex, false, on, NULL);
	assert_false(vu_ex_included(walk(&ex, "/etc/hostname")));
	assert_false(vu_ex_included(walk(&ex, "/var/lib/x")));
	vu_exclude_free(&ex);
	build(&ex, false, off, NULL);
	assert_true(vu_ex_included(walk(&ex, "/etc/passwd")));
	vu_exclude_free(&ex);
	build(&ex, true, off, NULL);
	assert_true(vu_ex_included(walk(&ex, "/etc/passwd")));
	assert_true(vu_ex_included(walk(&ex, "/var/lib/x")));
	vu_exclude_free(&ex);
	build(&ex, false, off_on, NULL);
	assert_false(vu_ex_included(walk(&ex, "/var/lib/x")));
	assert_false(vu_ex_included(walk(&ex, "/etc/passwd")));
	vu_exclude_free(&ex);
	build(&ex, true, on_off, NULL);
	assert_true(vu_ex_included(walk(&ex, "/etc/passwd")));
	vu_exclude_free(&ex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vhashify_defaults),
		cmocka_unit_test(test_vclone_defaults),
		cmocka_unit_test(test_switches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
