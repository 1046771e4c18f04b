// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for printing guest-chosen names (unify/escape.c): terminal
 * controls, backslashes and bytes that are not UTF-8 come out as \xNN,
 * valid UTF-8 as it is; JSON strings are valid JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vunify/escape.h"

static void check_text(const char *in, const char *want)
{
	char buf[256];
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	assert_non_null(f);
	vu_esc_fputs(f, in);
	fclose(f);
	assert_string_equal(mem, want);
	assert_string_equal(vu_esc(in, buf, sizeof(buf)), want);
	free(mem);
}

static void check_json(const char *in, const char *want)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	assert_non_null(f);
	vu_esc_json(f, in);
	fclose(f);
	assert_string_equal(mem, want);
	free(mem);
}

static void test_text(void **state)
{
	(void)state;
	check_text("/usr/bin/ls", "/usr/bin/ls");
	check_text("/a\033]52;c;aGk=\007", "/a\\x1b]52;c;aGk=\\x07");
	check_text("\033[2J\r\nx\t", "\\x1b[2J\\x0d\\x0ax\\x09");
	check_text("a\\x41", "a\\x5cx41");
	check_text("\x7f", "\\x7f");
	check_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_text("\xc2\x9b" "31m", "\\xc2\\x9b31m");            /* U+009B CSI */
	check_text("\x9b" "31m", "\\x9b31m");                      /* raw C1 byte */
	check_text("\xff\xfe", "\\xff\\xfe");
	check_text("\xc0\xaf", "\\xc0\\xaf");                      /* overlong '/' */
	check_text("\xed\xa0\x80", "\\xed\\xa0\\x80");              /* surrogate */
	check_text("\xe2\x80", "\\xe2\\x80");                      /* cut short */
	check_text("a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb");        /* RLO */
	check_text("a\xe2\x80\xa8" "b", "a\\xe2\\x80\\xa8b");        /* LINE SEPARATOR */
}

static void test_short_buffer(void **state)
{
	char buf[6];

	(void)state;
	/* Cut at a whole escape, never in the middle of one. */
	assert_string_equal(vu_esc("ab\033c", buf, sizeof(buf)), "ab");
	assert_string_equal(vu_esc("abc", buf, 1), "");
}

static void test_json(void **state)
{
	(void)state;
	check_json("/usr/bin", "\"/usr/bin\"");
	check_json("a\"b\\c", "\"a\\\"b\\\\c\"");
	check_json("\033]52;c;x\007\r\n", "\"\\u001b]52;c;x\\u0007\\u000d\\u000a\"");
	check_json("\x7f\xc2\x9b", "\"\\u007f\\u009b\"");
	check_json("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	check_json("\xff" "a\x9b", "\"\\ufffda\\ufffd\"");
	check_json("\xe2\x80\xae", "\"\\u202e\"");
}

/* mountinfo's octal escapes, undone in place (vu_unescape_mountinfo). */
static void test_unescape_mountinfo(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "/plain/path", "/plain/path" },
		{ "/a\\040b", "/a b" },
		{ "\\011\\012\\134\\040", "\t\n\\ " },
		{ "/x\\134040", "/x\\040" },      /* an escaped backslash, then text */
		{ "\\377", "\377" },
		/* Not an escape: left as it is. */
		{ "\\400", "\\400" }, { "\\08", "\\08" }, { "\\04", "\\04" },
		{ "end\\", "end\\" }, { "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		vu_unescape_mountinfo(buf);
		assert_string_equal(buf, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_unescape_mountinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
