/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit-test helper: the text of a small file. */
#ifndef UT_FILE_H
#define UT_FILE_H

#include <stdio.h>

/* The contents of DIR/NAME (up to 8 KiB, NUL-terminated, in a static
 * buffer that the next call reuses), or NULL if it cannot be opened. */
static inline char *ut_read(const char *dir, const char *name)
{
	static char buf[8192];
	char path[4096 + 256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

#endif
