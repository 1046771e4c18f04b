// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver [--base DIR] info: where this base's guests live on the host, as
 * key=value lines for scripts (vserver(8), BASES): the base, its KEY, the
 * runtime directory and the cgroup that hold its running guests, and the
 * directory of their logs.
 */
#include <stdio.h>

#include "vsupervisor/cgroup.h"
#include "vserver.h"

int vs_show_info(struct vs *vs)
{
	char key[VU_LAYOUT_KEYSZ];

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "info: unexpected argument '%s'", vs->argv[1]);
	vu_layout_key(vs->base, key);
	printf("base=%s\nkey=%s\nrun=%s/%s\ncgroup=%s/%s\nlog=%s/%s\n", vs->base, key,
	       vu_layout_rundir(), key, VU_CG_PARENT, key, vu_layout_logdir(), key);
	return VS_OK;
}
