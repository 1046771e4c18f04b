// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the JSON writer of `vserver list/status --json`
 * (tools/vserver/json.c): nesting, commas, empty containers, null, and
 * strings always escaped (vu_esc_json), whatever bytes they hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/vserver/json.h"

static char *mem;
static size_t len;

static struct vs_json *start(struct vs_json *j)
{
	FILE *f = open_memstream(&mem, &len);

	assert_non_null(f);
	vs_json_begin(j, f);
	return j;
}

static void finish(struct vs_json *j, const char *want)
{
	vs_json_end(j);
	fclose(j->f);
	assert_string_equal(mem, want);
	free(mem);
	mem = NULL;
}

static void test_nesting(void **state)
{
	struct vs_json j;

	(void)state;
	start(&j);
	vs_json_open(&j, NULL, '{');
	vs_json_open(&j, "guests", '[');
	vs_json_open(&j, NULL, '{');
	vs_json_str(&j, "name", "g1");
	vs_json_u64(&j, "memory_bytes", UINT64_MAX);
	vs_json_null(&j, "cpu_ns");
	vs_json_bool(&j, "lxcfs", false);
	vs_json_open(&j, "addresses", '[');
	vs_json_close(&j, ']');
	vs_json_close(&j, '}');
	vs_json_open(&j, NULL, '{');
	vs_json_close(&j, '}');
	vs_json_close(&j, ']');
	vs_json_close(&j, '}');
	finish(&j, "{\n"
		   "  \"guests\": [\n"
		   "    {\n"
		   "      \"name\": \"g1\",\n"
		   "      \"memory_bytes\": 18446744073709551615,\n"
		   "      \"cpu_ns\": null,\n"
		   "      \"lxcfs\": false,\n"
		   "      \"addresses\": []\n"
		   "    },\n"
		   "    {}\n"
		   "  ]\n"
		   "}\n");
}

static void test_hostile_strings(void **state)
{
	struct vs_json j;

	(void)state;
	start(&j);
	vs_json_open(&j, NULL, '[');
	vs_json_str(&j, NULL, "a\"b\\c\nd\x01\x7f\xff\xc3\xa9");
	vs_json_str(&j, NULL, "");
	vs_json_close(&j, ']');
	finish(&j, "[\n"
		   "  \"a\\\"b\\\\c\\u000ad\\u0001\\u007f\\ufffd\xc3\xa9\",\n"
		   "  \"\"\n"
		   "]\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_hostile_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
