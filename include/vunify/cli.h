/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command-line tools share: message and progress output (the
 * vu_report callbacks), numbers with unit suffixes, JSON strings.  Called
 * from the tools only; the library proper never prints.
 */
#ifndef VUNIFY_CLI_H
#define VUNIFY_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vunify/report.h"

struct vu_cli {
	const char *prog;
	int verbose;                 /* -v count; -1 with -q */
	bool progress;               /* draw a progress line on stderr */
	bool line_drawn;             /* a progress line is on the screen */
	uint64_t errors_logged;
	struct vu_report rep;
};

/* Set up the callbacks; progress is on by default when stderr is a tty. */
void vu_cli_init(struct vu_cli *c, const char *prog);

/* Parse "123", "4k", "10M", "1G" (powers of 1024); -1 if malformed. */
int vu_cli_size(const char *s, uint64_t *out);
/* Parse a positive integer; -1 if malformed. */
int vu_cli_uint(const char *s, unsigned *out);

/* Print @s as a JSON string (quoted and escaped: vu_esc_json()).  Text
 * messages (the log callback, vu_err_print) are escaped with
 * vu_esc_fputs(): see escape.h. */
void vu_cli_json_str(FILE *f, const char *s);

/* Print "PROG: MESSAGE" on stderr, the message escaped (escape.h): for
 * messages that name a path or repeat an argument. */
void vu_cli_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Erase the progress line, if one is drawn. */
void vu_cli_clear(struct vu_cli *c);

#endif /* VUNIFY_CLI_H */
