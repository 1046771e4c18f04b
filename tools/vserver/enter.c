// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME enter [-u USER[:GROUP]] [-w DIR] [-e VAR=VAL]...: a login
 * shell in the guest (root's, or USER's), on a pty of the guest's own when
 * we have a terminal. */
#include <stdlib.h>
#include <unistd.h>

#include "vsupervisor/join.h"
#include "vserver.h"

int vs_enter(struct vs *vs)
{
	struct vu_join j = { .pty = isatty(STDIN_FILENO) != 0 };
	char **env;
	int r;

	env = calloc((size_t)vs->argc, sizeof(char *));
	if (!env)
		return vs_failf(vs, VS_FAIL, "out of memory");
	if ((r = vs_join_opts(vs, "enter", &j, env)) != VS_OK)
		goto out;
	if (optind < vs->argc) {
		r = vs_failf(vs, VS_USAGE, "enter: unexpected argument '%s'", vs->argv[optind]);
		goto out;
	}
	r = vs_join(vs, &j);
out:
	free(env);
	return r;
}
