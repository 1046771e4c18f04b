// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME running: exit 0 if the guest runs, 3 if not. */
#include "vserver.h"

int vs_running(struct vs *vs)
{
	int r;

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "running: unexpected argument '%s'", vs->argv[1]);
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	return vu_layout_running(&vs->l) ? VS_OK : VS_STOPPED;
}
