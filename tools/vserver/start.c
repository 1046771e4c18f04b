// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME start: boot the guest; returns once its init runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/netlink.h"
#include "vunify/supervisor.h"
#include "vserver.h"

/* Refuse a host_ifname that names someone else's interface (a bridge, the
 * uplink) before anything is set up; the supervisor checks again. */
static int check_host_ifname(struct vs *vs, const struct vu_gconf *c, struct vu_err *e)
{
	char mark[VU_NL_MARKSZ];
	struct vu_nl nl;
	int r;

	if (c->net_mode != VU_NET_VETH)
		return 0;
	if (vu_nl_open(&nl, e) < 0)
		return -1;
	vu_nl_mark(vs->l.base, vs->l.name, mark);
	r = vu_nl_link_check(&nl, c->host_ifname, mark, e);
	vu_nl_close(&nl);
	return r < 0 ? -1 : 0;
}

int vs_start(struct vs *vs)
{
	_cleanup_close_ int lock = -1;
	struct vu_gconf c;
	struct vu_err e;
	struct stat st;
	pid_t init;
	int r;

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "start: unexpected argument '%s'", vs->argv[1]);
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	/* Before anything runs: a guest root's setuid programs must not be
	 * in reach of host users (vserver(8), BARRIER). */
	if (vu_layout_check_barrier(&vs->l, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);
	if ((r = vs_load_conf(vs, &c)) != VS_OK)
		return r;
	if (check_host_ifname(vs, &c, &e) < 0) {
		r = vs_fail(vs, VS_FAIL, &e);
		goto out;
	}
	if (lstat(vs->l.root, &st) < 0) {
		r = vs_failf(vs, VS_FAIL, "%s: %s", vs->l.root, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = vs_failf(vs, VS_FAIL, "%s: not a directory", vs->l.root);
		goto out;
	}
	if (vu_layout_mkrun(&vs->l, &e) < 0) {
		r = vs_fail(vs, VS_FAIL, &e);
		goto out;
	}
	lock = vu_layout_lock(&vs->l, &e);
	if (lock < 0) {
		r = e.code == EWOULDBLOCK ? vs_failf(vs, VS_FAIL, "already running") :
		    vs_fail(vs, VS_FAIL, &e);
		goto out;
	}
	/* A supervisor that died may have left a mount or a cgroup. */
	if (vu_sup_cleanup(&vs->l, &e) < 0) {
		r = vs_fail(vs, VS_FAIL, &e);
		goto out;
	}
	if (vu_sup_start(&vs->l, &c, lock, &init, &e) < 0) {
		r = vs_fail(vs, VS_FAIL, &e);
		goto out;
	}
	r = VS_OK;
out:
	vu_gconf_free(&c);
	return r;
}
