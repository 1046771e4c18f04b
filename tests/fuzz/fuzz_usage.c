// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the usage record read from the xattr trusted.vunify.usage
 * (include/vunify/format.h "Usage record", vu_usage_parse(), which
 * vunifyfs's fs/usage.c trusts to skip the count at mount).  A record that
 * parses has non-negative numbers, and the record vunifyfs would write for
 * them parses back to the same numbers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vunify/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly the bytes getxattr() returned: not NUL-terminated. */
	char *val = malloc(size ? size : 1), back[128];
	long long b, i, b2, i2;
	bool clean, clean2;
	int n;

	if (!val)
		return 0;
	memcpy(val, data, size);
	if (vu_usage_parse(val, size, &b, &i, &clean)) {
		if (b < 0 || i < 0)
			abort();
		n = snprintf(back, sizeof(back), "v1 bytes=%lld inodes=%lld state=%s", b, i,
			     clean ? "clean" : "dirty");
		if (!vu_usage_parse(back, (size_t)n, &b2, &i2, &clean2) || b2 != b || i2 != i ||
		    clean2 != clean)
			abort();
	}
	free(val);
	return 0;
}
