// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: guest.conf (daemon/guestconf.c, vu_gconf_parse), the
 * admin's description of a guest that vserver start trusts with the host's
 * cgroups, mounts and network.  Besides "no crash, no leak": a refused
 * file gets a one-line message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsupervisor/guestconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct vu_gconf c;
	struct vu_err e = { 0 };
	FILE *f;

	if (!text)
		return 0;
	memcpy(text, data, size);
	f = fmemopen(text, size, "r");
	if (f) {
		vu_gconf_defaults(&c, "g1");
		if (vu_gconf_parse(&c, f, "guest.conf", &e) < 0 &&
		    (!e.msg[0] || strchr(e.msg, '\n')))
			abort();
		vu_gconf_free(&c);
		fclose(f);
	}
	free(text);
	return 0;
}
