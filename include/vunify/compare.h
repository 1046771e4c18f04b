/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte-for-byte comparison of two open files: ids are never trusted. */
#ifndef VUNIFY_COMPARE_H
#define VUNIFY_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "vunify/error.h"

/* Compare the first @size bytes of @a and @b (and that neither has more),
 * reading @bufsize bytes at a time into @ba and @bb; ranges that are holes
 * in both (SEEK_DATA) are equal without being read.  Returns 1 if equal,
 * 0 if not, -1 on error.  *@nread gets the bytes read from @a. */
int vu_compare_fds(int a, int b, uint64_t size, void *ba, void *bb, size_t bufsize,
		   uint64_t *nread, struct vu_err *e, const char *what);

#endif /* VUNIFY_COMPARE_H */
