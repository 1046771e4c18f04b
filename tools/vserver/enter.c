// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME enter: root's login shell in the guest, on a pty of the
 * guest's own when we have a terminal. */
#include <unistd.h>

#include "vsupervisor/join.h"
#include "vserver.h"

int vs_enter(struct vs *vs)
{
	struct vu_join j = { .pty = isatty(STDIN_FILENO) != 0 };

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "enter: unexpected argument '%s'", vs->argv[1]);
	return vs_join(vs, &j);
}
