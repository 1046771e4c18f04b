/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sizes as users write them, one grammar for every command and config file
 * that takes one: guest.conf's [limits] and vunifyfs's space=.  Inline,
 * because vunifyfs links none of the project's libraries.
 */
#ifndef VUNIFY_SIZE_H
#define VUNIFY_SIZE_H

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * SIZE: decimal digits with an optional K, M, G or T suffix (powers of
 * 1024, either case), which may be followed by "i", "B" or "iB" ("4k",
 * "2GiB", "3MB").  0 on success; -1 on overflow or anything else.
 */
static inline int vu_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return -1;
	}
	if (*end) {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end)
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

#endif
