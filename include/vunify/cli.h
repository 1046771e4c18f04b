/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command-line tools share: message and progress output (the
 * vu_report callbacks), the options of the hashing commands, JSON strings.
 * Called from the tools only; the library proper never prints.  Numbers
 * and sizes are parsed by size.h, the grammar of every command.
 */
#ifndef VUNIFY_CLI_H
#define VUNIFY_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vunify/error.h"
#include "vunify/exclude.h"
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

/*
 * The options vhashify (hashing) and vclone share: one table, one parser.
 * A tool puts VU_CLI_HASH_LONGOPTS first in its getopt_long() table and
 * VU_CLI_HASH_SHORTOPTS first in its short options, numbers its own long
 * options from VU_CLI_OPT_NEXT, and hands every option to vu_cli_hash_opt()
 * before its own switch.  -h stays with the tool (its own usage text).
 */
enum { VU_CLI_OPT_NO_DEFAULT = 256, VU_CLI_OPT_DEFAULT, VU_CLI_OPT_PROGRESS,
       VU_CLI_OPT_NO_PROGRESS, VU_CLI_OPT_JSON, VU_CLI_OPT_NEXT };

#define VU_CLI_HASH_SHORTOPTS "s:x:X:m:j:qvhV"
#define VU_CLI_HASH_LONGOPTS \
	{ "store", required_argument, NULL, 's' }, \
	{ "exclude", required_argument, NULL, 'x' }, \
	{ "exclude-from", required_argument, NULL, 'X' }, \
	{ "no-default-excludes", no_argument, NULL, VU_CLI_OPT_NO_DEFAULT }, \
	{ "default-excludes", no_argument, NULL, VU_CLI_OPT_DEFAULT }, \
	{ "min-size", required_argument, NULL, 'm' }, \
	{ "jobs", required_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "progress", no_argument, NULL, VU_CLI_OPT_PROGRESS }, \
	{ "no-progress", no_argument, NULL, VU_CLI_OPT_NO_PROGRESS }, \
	{ "json", no_argument, NULL, VU_CLI_OPT_JSON }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }

/* --help lines of the shared options whose text is the same in both. */
#define VU_CLI_HASH_HELP_EXCLUDES \
	"  -X, --exclude-from FILE    exclude rules from FILE\n"
#define VU_CLI_HASH_HELP_OUTPUT \
	"  -q, --quiet                errors only\n" \
	"  -v, --verbose              say what is done (twice: why)\n" \
	"      --progress, --no-progress  progress line on stderr (default: if a tty)\n" \
	"      --json                 the summary as one JSON object\n"

/* --jobs: at most this many threads. */
#define VU_CLI_MAX_JOBS 65536

struct vu_cli_hash {
	const char *store;           /* --store, or NULL */
	const char **rules;          /* -x RULE and -X FILE, in command-line order */
	char *kinds;                 /* 'x' or 'X' for each of rules[] */
	int nrules;
	bool defaults;               /* Linux-VServer's default rules (/etc, /var, ...;
	                              * vhashify: on unless --no-default-excludes;
	                              * vclone: off unless --default-excludes) */
	bool protect;                /* the protected files (/etc/passwd, ...: on
	                              * unless --no-default-excludes) */
	bool json;
	uint64_t min_size;           /* --min-size (default 1) */
	unsigned jobs;               /* --jobs (0: the library's default) */
};

/* Defaults (@defaults: Linux-VServer's default exclude rules on, as
 * vhashify has them, or off, as vclone), and room for the rules of @argc
 * arguments; -1 without memory. */
int vu_cli_hash_init(struct vu_cli_hash *h, int argc, bool defaults);
/* Take option @c (getopt_long's return) with @arg: 1 if it is one of the
 * shared options, 0 if not (the tool's own), -1 after printing why its
 * value is bad (a usage error).  -V prints the version and exits. */
int vu_cli_hash_opt(struct vu_cli *cli, struct vu_cli_hash *h, int c, const char *arg);
/* Build @ex from the defaults and rules given (vu_exclude_init, _add,
 * _add_file, _finish); -1 with @e set and nothing left to free. */
int vu_cli_hash_excludes(const struct vu_cli_hash *h, struct vu_exclude *ex, struct vu_err *e);
void vu_cli_hash_free(struct vu_cli_hash *h);

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
