// SPDX-License-Identifier: GPL-2.0-or-later
/* Exclude rules: see include/vunify/exclude.h. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vunify/cleanup.h"
#include "vunify/exclude.h"

/* Never unified, whatever the caller's rules say: the files a guest's
 * identity lives in, edited in place by tools that do not go through
 * vunifyfs' rename-based writes. */
const char *const vu_exclude_protected[] = {
	"-/etc/passwd", "-/etc/passwd-",
	"-/etc/shadow", "-/etc/shadow-",
	"-/etc/group", "-/etc/group-",
	"-/etc/gshadow", "-/etc/gshadow-",
	NULL
};

/* Configuration, state, per-guest data and virtual filesystems. */
const char *const vu_exclude_default_rules[] = {
	"/etc/*",
	"/var",
	"/tmp",
	"/run",
	"/home",
	"/root/*",
	"/proc",
	"/sys",
	"/dev",
	"/lost+found",
	NULL
};

static size_t literal_len(const char *p)
{
	size_t n = strcspn(p, "*?[\\");

	return n;
}

static int insert(struct vu_exclude *ex, size_t at, enum vu_ex_decision what,
		  const char *pattern, struct vu_err *e)
{
	struct vu_ex_rule r;

	if (ex->n == ex->cap) {
		size_t cap = ex->cap ? ex->cap * 2 : 32;
		void *p = realloc(ex->rules, cap * sizeof(*ex->rules));

		if (!p)
			return vu_err_set(e, ENOMEM, "exclude rules");
		ex->rules = p;
		ex->cap = cap;
	}
	r.what = what;
	r.pattern = strdup(pattern);
	if (!r.pattern)
		return vu_err_set(e, ENOMEM, "exclude rules");
	r.literal = literal_len(pattern);
	memmove(&ex->rules[at + 1], &ex->rules[at], (ex->n - at) * sizeof(r));
	ex->rules[at] = r;
	ex->n++;
	if (what == VU_EX_INCLUDE)
		ex->any_include = true;
	return 0;
}

/* Parse "[+-~]PATTERN"; *what gets the decision, returns the pattern. */
static const char *parse(const char *line, enum vu_ex_decision *what)
{
	switch (line[0]) {
	case '+': *what = VU_EX_INCLUDE; return line + 1;
	case '-': *what = VU_EX_EXCLUDE; return line + 1;
	case '~': *what = VU_EX_SKIP; return line + 1;
	default: *what = VU_EX_EXCLUDE; return line;
	}
}

static int add_at(struct vu_exclude *ex, size_t at, const char *line, struct vu_err *e)
{
	enum vu_ex_decision what;
	const char *pat = parse(line, &what);

	if (pat[0] != '/')
		return vu_err_set(e, 0, "exclude rule '%s': the pattern must start with '/'", line);
	return insert(ex, at, what, pat, e);
}

int vu_exclude_init(struct vu_exclude *ex, bool defaults, struct vu_err *e)
{
	memset(ex, 0, sizeof(*ex));
	ex->defaults = defaults;
	if (defaults)
		for (size_t i = 0; vu_exclude_protected[i]; i++)
			if (add_at(ex, ex->n, vu_exclude_protected[i], e) < 0)
				return -1;
	ex->user_at = ex->n;
	return 0;
}

int vu_exclude_add(struct vu_exclude *ex, const char *line, struct vu_err *e)
{
	if (!line[0] || line[0] == '#')
		return 0;
	if (add_at(ex, ex->user_at, line, e) < 0)
		return -1;
	ex->user_at++;
	return 0;
}

int vu_exclude_add_file(struct vu_exclude *ex, const char *file, struct vu_err *e)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;

	if (!f)
		return vu_err_set(e, errno, "%s", file);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (vu_exclude_add(ex, line, e) < 0)
			return vu_err_prefix(e, "%s:%u", file, lineno);
	}
	if (ferror(f))
		return vu_err_set(e, errno, "%s", file);
	return 0;
}

int vu_exclude_finish(struct vu_exclude *ex, struct vu_err *e)
{
	if (ex->defaults)
		for (size_t i = 0; vu_exclude_default_rules[i]; i++)
			if (add_at(ex, ex->n, vu_exclude_default_rules[i], e) < 0)
				return -1;
	return 0;
}

void vu_exclude_free(struct vu_exclude *ex)
{
	for (size_t i = 0; i < ex->n; i++)
		free(ex->rules[i].pattern);
	free(ex->rules);
	memset(ex, 0, sizeof(*ex));
}

enum vu_ex_decision vu_exclude_match(const struct vu_exclude *ex, const char *path,
				     enum vu_ex_decision parent)
{
	for (size_t i = 0; i < ex->n; i++) {
		const struct vu_ex_rule *r = &ex->rules[i];

		/* The literal start must match as it is: a cheap test first. */
		if (strncmp(r->pattern, path, r->literal) != 0)
			continue;
		if (fnmatch(r->pattern, path, FNM_PATHNAME) == 0)
			return r->what;
	}
	return parent;
}

bool vu_exclude_may_include_below(const struct vu_exclude *ex, const char *dir)
{
	size_t dl = strlen(dir);

	if (!ex->any_include)
		return false;
	for (size_t i = 0; i < ex->n; i++) {
		const struct vu_ex_rule *r = &ex->rules[i];
		size_t n = r->literal < dl ? r->literal : dl;

		if (r->what != VU_EX_INCLUDE)
			continue;
		/* The literal start of the pattern and DIR/ must agree as far
		 * as both go; otherwise nothing below DIR can match. */
		if (strncmp(r->pattern, dir, n) != 0)
			continue;
		if (r->literal > dl && r->pattern[dl] != '/')
			continue;
		return true;
	}
	return false;
}
