// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME exec CMD [ARG...]: run CMD in the guest, pass its status on. */
#include <errno.h>
#include <string.h>

#include "vunify/join.h"
#include "vserver.h"

int vs_join(struct vs *vs, char *const *argv, bool pty)
{
	struct vu_join j = { .l = &vs->l, .argv = argv, .pty = pty };
	struct vu_gconf c;
	struct vu_err e;
	int r;

	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	if (!vu_layout_running(&vs->l))
		return vs_failf(vs, VS_STOPPED, "not running");
	if ((r = vs_load_conf(vs, &c)) != VS_OK)
		return r;
	j.conf = &c;
	r = vu_join_run(&j, &e);
	vu_gconf_free(&c);
	if (r == -2)
		return vs_fail(vs, e.code, &e);
	if (r < 0)
		return vs_fail(vs, e.code == ECONNREFUSED || e.code == ENOENT ? VS_STOPPED : VS_FAIL,
			       &e);
	return r;
}

int vs_exec(struct vs *vs)
{
	int first = 1;

	if (vs->argc > 1 && !strcmp(vs->argv[1], "--"))
		first = 2;
	if (vs->argc <= first)
		return vs_failf(vs, VS_USAGE, "exec: no command given");
	return vs_join(vs, vs->argv + first, false);
}
