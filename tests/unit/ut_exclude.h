/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit-test helper: exclude rules as a tree walk applies them. */
#ifndef UT_EXCLUDE_H
#define UT_EXCLUDE_H

#include <string.h>

#include "vunify/exclude.h"

/* The decision for PATH as a walk reaches it: every ancestor first. */
static inline enum vu_ex_decision ut_exclude_walk(const struct vu_exclude *ex, const char *path)
{
	enum vu_ex_decision d = VU_EX_NONE;
	char buf[1024];

	for (const char *p = strchr(path + 1, '/');; p = strchr(p + 1, '/')) {
		size_t n = p ? (size_t)(p - path) : strlen(path);

		memcpy(buf, path, n);
		buf[n] = 0;
		d = vu_exclude_match(ex, buf, d);
		if (!p)
			return d;
	}
}

#endif
