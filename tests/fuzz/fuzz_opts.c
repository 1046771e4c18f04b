// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vunifyfs's command line and -o option strings
 * (fs/options.c, vu_opts_parse), as mount(8) and fstab hand them over.
 * The input is the argument list, one argument per line ("vunifyfs" is
 * argv[0]); a seed is typically "-o\nOPTIONS\n/guest\n/mnt".  Besides "no
 * crash": a failure always says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *argv[MAX_ARGS + 2], *p, *nl;
	struct vu_opts o;
	int argc = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	argv[argc++] = "vunifyfs";
	for (p = text; argc <= MAX_ARGS; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		argv[argc++] = p;
		if (!nl)
			break;
	}
	argv[argc] = NULL;
	if (vu_opts_parse(argc, argv, &o) < 0 && !o.error[0])
		abort();
	vu_opts_free(&o);
	free(text);
	return 0;
}
