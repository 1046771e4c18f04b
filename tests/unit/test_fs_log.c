// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: vunifyfs's log lines carry no raw terminal controls
 * (fs/util.c, vu_log): the names in them are the guest's.  The escaping
 * itself is tested in test_escape.c; this checks vu_log uses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fs/vunifyfs.h"

/* What vu_log writes to stderr for @name in a message. */
static void logged(const char *name, char *out, size_t size)
{
	int p[2], saved = dup(2);
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	assert_true(saved >= 0);
	dup2(p[1], 2);
	vu_log(LOG_ERR, "link break of '%s': %s", name, "No space left on device");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	n = read(p[0], out, size - 1);
	close(p[0]);
	assert_true(n > 0);
	out[n] = 0;
}

static void test_controls_escaped(void **state)
{
	char out[512];

	/* OSC 52 (clipboard), clear screen, a forged second line, C1 CSI. */
	logged("a\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\nvunifyfs: forged\xc2\x9b" "31m", out, sizeof(out));
	assert_null(strchr(out, 0x1b));
	assert_null(strchr(out, '\r'));
	assert_null(strstr(out, "\xc2\x9b"));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);     /* one line */
	assert_non_null(strstr(out, "\\x1b]52;c;ZXZpbA==\\x07"));
}

static void test_plain_names_unchanged(void **state)
{
	char out[512];

	logged("etc/caf\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "vunifyfs: link break of 'etc/caf\xc3\xa9': No space left on device\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_plain_names_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
