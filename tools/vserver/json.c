// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON writer: see json.h. */
#include <inttypes.h>

#include "vunify/escape.h"
#include "json.h"

void vs_json_begin(struct vs_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->comma = false;
}

static void member(struct vs_json *j, const char *key)
{
	if (j->comma)
		putc(',', j->f);
	if (j->depth)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key) {
		vu_esc_json(j->f, key);
		fputs(": ", j->f);
	}
	j->comma = true;
}

void vs_json_open(struct vs_json *j, const char *key, char bracket)
{
	member(j, key);
	putc(bracket, j->f);
	j->depth++;
	j->comma = false;
}

void vs_json_close(struct vs_json *j, char bracket)
{
	bool empty = !j->comma;

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	putc(bracket, j->f);
	j->comma = true;
}

void vs_json_str(struct vs_json *j, const char *key, const char *s)
{
	member(j, key);
	vu_esc_json(j->f, s);
}

void vs_json_u64(struct vs_json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void vs_json_bool(struct vs_json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void vs_json_null(struct vs_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void vs_json_end(struct vs_json *j)
{
	putc('\n', j->f);
}
