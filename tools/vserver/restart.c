// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME restart [--timeout S]: stop if running, then start. */
#include "vserver.h"

int vs_restart(struct vs *vs)
{
	long timeout;
	int r;

	if (vs_parse_timeout(vs, &timeout) < 0)
		return VS_USAGE;
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	r = vs_do_stop(vs, timeout);
	if (r != VS_OK && r != VS_STOPPED)
		return r;
	vs->argc = 1;               /* start takes no arguments */
	return vs_start(vs);
}
