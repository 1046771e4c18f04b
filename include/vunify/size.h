/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Numbers and sizes as users write them: the one strict grammar of every
 * command line, mount option and config file that takes one (vunifyfs -o,
 * vhashify and vclone, guest.conf).  Inline, because vunifyfs links none of
 * the project's libraries.
 *
 * NUMBER  one or more decimal digits and nothing else: no sign, no blank,
 *         no "0x", no exponent.  A value that does not fit in 64 bits is
 *         an error, never wrapped or clamped.
 * SIZE    a NUMBER of bytes, optionally followed by a unit K, M, G, T or P
 *         (either case; powers of 1024), optionally followed by "i" (after
 *         a unit) and "B" (either case): "4096", "512B", "4k", "2GiB",
 *         "3MB", "5Gi", "1T".  A size over 2^64 - 1 bytes is an error.
 *
 * Both return 0, or -1 with errno EINVAL (malformed) or ERANGE (too large,
 * or outside the bounds asked for).
 */
#ifndef VUNIFY_SIZE_H
#define VUNIFY_SIZE_H

#include <errno.h>
#include <stdint.h>

/* The leading NUMBER of @s into *v; *end after it.  Not strtoull(): that
 * skips blanks, takes signs (and wraps "-3" to 2^64 - 3) and a locale's
 * digits. */
static inline int vu_parse_digits(const char *s, const char **end, uint64_t *v)
{
	uint64_t n = 0;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (n > (UINT64_MAX - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		n = n * 10 + d;
	}
	*end = s;
	*v = n;
	return 0;
}

/* A whole NUMBER from @min to @max (inclusive). */
static inline int vu_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if (vu_parse_digits(s, &end, &v) < 0)
		return -1;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* A whole SIZE, in bytes. */
static inline int vu_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	const char *end;
	unsigned shift = 0;
	uint64_t v;

	if (vu_parse_digits(s, &end, &v) < 0)
		return -1;
	for (unsigned i = 0; units[i]; i++) {
		if ((*end & ~0x20) == units[i]) {
			shift = 10 * (i + 1);
			end++;
			if (*end == 'i' || *end == 'I')
				end++;
			break;
		}
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	if (v > (UINT64_MAX >> shift)) {
		errno = ERANGE;
		return -1;
	}
	*out = v << shift;
	return 0;
}

#endif
