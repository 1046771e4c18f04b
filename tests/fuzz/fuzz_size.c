// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: size strings (include/vunify/size.h, vu_parse_size), as
 * guest.conf's [limits] and vunifyfs's space= take them.  Besides "no
 * crash": a size that parses prints back as a plain number that parses to
 * the same value.
 */
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vunify/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), back[32];
	uint64_t v, w;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (vu_parse_size(s, &v) == 0) {
		snprintf(back, sizeof(back), "%" PRIu64, v);
		if (vu_parse_size(back, &w) != 0 || w != v)
			abort();
	}
	free(s);
	return 0;
}
