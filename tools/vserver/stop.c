// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME stop [--timeout S]: shut the guest down, then kill the rest. */
#include <stdio.h>

#include "vserver.h"

int vs_stop(struct vs *vs)
{
	long timeout;
	int r;

	if (vs_parse_timeout(vs, &timeout) < 0)
		return VS_USAGE;
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	r = vs_do_stop(vs, timeout);
	if (r == VS_STOPPED)
		vs_failf(vs, VS_STOPPED, "not running");
	return r;
}
