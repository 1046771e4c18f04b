/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small JSON writer for `vserver list --json` and `status --json`.
 *
 * Strings go through vu_esc_json() (vunify/escape.h), always: guest.conf
 * error messages quote what the file says and name paths in the guest's
 * tree, so quotes, backslashes, control characters and bytes that are not
 * UTF-8 (written as U+FFFD) must never break the document.  Numbers are integers
 * only (bytes, seconds, nanoseconds): no unit is ever part of a value.
 */
#ifndef VS_JSON_H
#define VS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vs_json {
	FILE *f;
	int depth;
	bool comma;                 /* something precedes the next member */
};

void vs_json_begin(struct vs_json *j, FILE *f);
/* Open an object or array, as a member @key (NULL inside an array or at
 * the top). */
void vs_json_open(struct vs_json *j, const char *key, char bracket);
void vs_json_close(struct vs_json *j, char bracket);
/* Members (@key NULL: an array element). */
void vs_json_str(struct vs_json *j, const char *key, const char *s);
void vs_json_u64(struct vs_json *j, const char *key, uint64_t v);
void vs_json_bool(struct vs_json *j, const char *key, bool v);
void vs_json_null(struct vs_json *j, const char *key);
/* The end: a newline after the top value. */
void vs_json_end(struct vs_json *j);

#endif /* VS_JSON_H */
