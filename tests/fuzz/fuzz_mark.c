// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the mark value read from the xattr trusted.vunify
 * (include/vunify/format.h "The mark"): vu_id_valid(), which vunifyfs
 * (fs/mark.c) asks, and vu_id_parse(), which vhashify's scan (unify/scan.c)
 * and the index readers use.  The two must agree, and a parsed id must
 * print back as the very value it was read from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vunify/format.h"
#include "vunify/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly @size bytes, no NUL: xattr values have none. */
	char *val = malloc(size ? size : 1), hex[VU_ID_HEXLEN + 1];
	struct vu_id id;
	bool valid;

	if (!val)
		return 0;
	memcpy(val, data, size);
	valid = vu_id_valid(val, size);
	if ((vu_id_parse(val, size, &id) == 0) != valid)
		abort();
	if (valid) {
		vu_id_hex(&id, hex);
		if (memcmp(hex, val, VU_ID_HEXLEN) != 0 || hex[VU_ID_HEXLEN])
			abort();
	}
	free(val);
	return 0;
}
