/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exclude rules, in the format of Linux-VServer's vunify exclude lists.
 *
 * One rule a line; empty lines and lines starting with '#' are ignored.
 *
 *   /PATTERN    exclude: matching files are never unified (vclone copies them)
 *   -/PATTERN   exclude, the same
 *   +/PATTERN   include: matching files may be unified
 *   ~/PATTERN   skip: matching paths are not looked at at all (vclone leaves
 *               them out of the copy)
 *
 * PATTERN is matched with fnmatch(3), flag FNM_PATHNAME (a wildcard does
 * not match '/'), against the path inside the
 * guest, starting with '/' ("/etc/passwd").  The first rule that matches a
 * path decides for it.  A path that no rule matches inherits the decision of
 * its directory, so "/var" covers everything below /var unless a rule
 * matches a deeper path ("+/var/lib/foo/x").  Without any decision a path
 * is included.
 *
 * Order of the rules: the protected defaults (/etc/passwd, /etc/shadow,
 * /etc/group, /etc/gshadow and their "-" backups: never unified), then the
 * caller's rules in the order given, then the other defaults (see
 * vu_exclude_defaults in exclude.c).  --no-default-excludes drops both
 * default parts.
 */
#ifndef VUNIFY_EXCLUDE_H
#define VUNIFY_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

#include "vunify/error.h"

enum vu_ex_decision {
	VU_EX_NONE = 0,              /* no rule matched */
	VU_EX_INCLUDE,
	VU_EX_EXCLUDE,
	VU_EX_SKIP,
};

struct vu_ex_rule {
	enum vu_ex_decision what;
	char *pattern;
	size_t literal;              /* length of the pattern's leading literal part */
};

struct vu_exclude {
	struct vu_ex_rule *rules;
	size_t n, cap;
	size_t user_at;              /* where caller rules are inserted */
	bool defaults;
	bool any_include;
};

/* Start a rule list, with the protected defaults if @defaults. */
int vu_exclude_init(struct vu_exclude *ex, bool defaults, struct vu_err *e);
/* Add one rule line (as in a file); -1 with a message if malformed. */
int vu_exclude_add(struct vu_exclude *ex, const char *line, struct vu_err *e);
/* Add every rule of FILE. */
int vu_exclude_add_file(struct vu_exclude *ex, const char *file, struct vu_err *e);
/* Append the other defaults (if enabled); call once after the caller's rules. */
int vu_exclude_finish(struct vu_exclude *ex, struct vu_err *e);
void vu_exclude_free(struct vu_exclude *ex);

/* The decision for PATH ("/a/b"), given its directory's decision @parent. */
enum vu_ex_decision vu_exclude_match(const struct vu_exclude *ex, const char *path,
				     enum vu_ex_decision parent);

/* True if PATH (a directory) resolves to include: files below it may be unified. */
static inline bool vu_ex_included(enum vu_ex_decision d)
{
	return d == VU_EX_NONE || d == VU_EX_INCLUDE;
}

/* Could an include rule match something below directory DIR?  (If not, an
 * excluded directory need not be walked to find unifiable files.) */
bool vu_exclude_may_include_below(const struct vu_exclude *ex, const char *dir);

/* The default rules, NULL-terminated, for documentation and tests. */
extern const char *const vu_exclude_protected[];
extern const char *const vu_exclude_default_rules[];

#endif /* VUNIFY_EXCLUDE_H */
