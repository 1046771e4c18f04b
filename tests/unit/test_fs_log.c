// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: vunifyfs's log lines never carry raw terminal controls
 * (fs/util.c, vu_log_escape): names in them are the guest's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "../../fs/vunifyfs.h"

static void expect(const char *in, const char *want)
{
	char out[256];

	vu_log_escape(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_plain_and_utf8_pass(void **state)
{
	expect("link break of 'etc/passwd'", "link break of 'etc/passwd'");
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
}

static void test_controls_escaped(void **state)
{
	/* OSC 52 (clipboard), CSI (clear screen), a forged second line. */
	expect("a\x1b]52;c;ZXZpbA==\x07", "a\\x1b]52;c;ZXZpbA==\\x07");
	expect("\x1b[2J", "\\x1b[2J");
	expect("x\r\nvunifyfs: forged", "x\\x0d\\x0avunifyfs: forged");
	expect("del\x7f", "del\\x7f");
	expect("back\\slash", "back\\x5cslash");
}

static void test_c1_and_invalid_utf8_escaped(void **state)
{
	expect("\xc2\x9b" "31m", "\\xc2\\x9b31m");      /* U+009B, CSI */
	expect("\x9b" "31m", "\\x9b31m");              /* 8-bit CSI */
	expect("\xc0\xaf", "\\xc0\\xaf");              /* overlong '/' */
	expect("\xe2\x82", "\\xe2\\x82");              /* truncated */
	expect("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
}

static void test_bounded(void **state)
{
	char out[8];

	vu_log_escape("\x1b\x1b\x1b\x1b", out, sizeof(out));
	assert_true(strlen(out) < sizeof(out));
	assert_null(strchr(out, 0x1b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_utf8_pass),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_c1_and_invalid_utf8_escaped),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
