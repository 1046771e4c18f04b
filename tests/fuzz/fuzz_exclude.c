// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: exclude rules (unify/exclude.c), as vhashify --exclude-from
 * reads them from an admin's file.  The input is a rules file; if it has a
 * line "%%", the lines after it are paths to decide instead, each asked
 * vu_exclude_match() and vu_exclude_may_include_below().  The file goes
 * through vu_exclude_add_file() (a memfd), so that its line handling is
 * covered too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vunify/exclude.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decide(const struct vu_exclude *ex, char *paths)
{
	for (char *p = paths, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		vu_exclude_match(ex, p, VU_EX_NONE);
		vu_exclude_match(ex, p, VU_EX_EXCLUDE);
		vu_exclude_may_include_below(ex, p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *paths, path[64];
	struct vu_exclude ex;
	struct vu_err e;
	size_t rules;
	int fd;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	paths = strstr(text, "\n%%\n");
	rules = paths ? (size_t)(paths - text) + 1 : size;
	paths = paths ? paths + 4 : NULL;
	fd = memfd_create("rules", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, rules) != (ssize_t)rules)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int defaults = 0; defaults < 2; defaults++) {
		if (vu_exclude_init(&ex, defaults, &e) < 0)
			abort();
		if (vu_exclude_add_file(&ex, path, &e) == 0 && vu_exclude_finish(&ex, &e) == 0 &&
		    paths) {
			char *copy = strdup(paths);   /* decide() cuts it into lines */

			if (copy)
				decide(&ex, copy);
			free(copy);
		}
		vu_exclude_free(&ex);
	}
	close(fd);
	free(text);
	return 0;
}
