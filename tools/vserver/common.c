// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the vserver commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vsupervisor/cgroup.h"
#include "vunify/cleanup.h"
#include "vsupervisor/control.h"
#include "vunify/escape.h"
#include "vsupervisor/guestfs.h"
#include "vunify/size.h"
#include "vsupervisor/supervisor.h"
#include "vserver.h"

int vs_fail(struct vs *vs, int code, const struct vu_err *e)
{
	/* A message may name a path in the guest's tree (delete, status):
	 * never raw to the admin's terminal (vunify/escape.h). */
	if (vs->name)
		fprintf(stderr, "%s: %s: ", vs->prog, vs->name);
	else
		fprintf(stderr, "%s: ", vs->prog);
	vu_esc_fputs(stderr, e->msg);
	fputc('\n', stderr);
	return code;
}

int vs_failf(struct vs *vs, int code, const char *fmt, ...)
{
	struct vu_err e = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return vs_fail(vs, code, &e);
}

int vs_need_guest(struct vs *vs)
{
	if (vu_layout_exists(&vs->l))
		return VS_OK;
	return vs_failf(vs, VS_NOGUEST, "no such guest (%s)", vs->l.guest);
}

int vs_load_conf(struct vs *vs, struct vu_gconf *c)
{
	struct vu_err e;

	vu_gconf_defaults(c, vs->name);
	if (vu_gconf_load(c, vs->l.conf, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);
	if (vu_net_has_veth(c->net_mode) && !c->host_ifname[0])
		vu_gconf_default_host_ifname(vs->name, c->host_ifname);
	return VS_OK;
}

static bool leftovers(struct vs *vs)
{
	struct vu_cgroup cg;
	struct vu_err e;

	if (access(vs->l.state, F_OK) == 0 || access(vs->l.sock, F_OK) == 0 ||
	    vu_guestfs_mounted(vs->l.mnt, NULL, 0))
		return true;
	return vu_cg_open(&cg, vs->l.key, vs->name, &e) == 0 && cg.ops->exists(&cg);
}

int vs_cleanup_stale(struct vs *vs, struct vu_err *e)
{
	_cleanup_close_ int lock = -1;

	if (!leftovers(vs))
		return 0;
	lock = vu_layout_lock(&vs->l, e);
	if (lock < 0)
		return e->code == EWOULDBLOCK ? 0 : -1;     /* running after all */
	return vu_sup_cleanup(&vs->l, e);
}

/* Wait (bounded) until nobody holds the guest's lock any more. */
static bool wait_unlocked(struct vs *vs, int seconds)
{
	for (int i = 0; i < seconds * 50; i++) {
		if (!vu_layout_running(&vs->l))
			return true;
		struct timespec ts = { 0, 20000000L };

		nanosleep(&ts, NULL);
	}
	return !vu_layout_running(&vs->l);
}

int vs_do_stop(struct vs *vs, long timeout)
{
	char req[64], reply[256];
	struct vu_gconf c;
	struct vu_err e;
	int r;

	if (!vu_layout_running(&vs->l)) {
		if (vs_cleanup_stale(vs, &e) < 0)
			vs_fail(vs, VS_FAIL, &e);
		return VS_STOPPED;
	}
	if (timeout < 0) {
		r = vs_load_conf(vs, &c);
		vu_gconf_free(&c);
		if (r != VS_OK)
			return r;
		timeout = c.stop_timeout;
	}
	snprintf(req, sizeof(req), "stop %ld", timeout);
	/* The supervisor answers once all is torn down. */
	if (vu_ctl_call(vs->l.sock, req, reply, sizeof(reply), NULL, (int)(timeout + 120) * 1000,
			&e) < 0) {
		/* No supervisor to talk to (it died, or is just ending): wait
		 * for its watchdog, then clean up whatever is left. */
		if (!wait_unlocked(vs, (int)timeout + 30))
			return vs_fail(vs, VS_FAIL, &e);
	}
	if (!wait_unlocked(vs, 30))
		return vs_failf(vs, VS_FAIL, "still running after the stop");
	if (vs_cleanup_stale(vs, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);
	return VS_OK;
}

int vs_parse_timeout(struct vs *vs, long *timeout)
{
	*timeout = -1;
	for (int i = 1; i < vs->argc; i++) {
		const char *a = vs->argv[i], *val = NULL;
		uint64_t v;

		if (!strcmp(a, "--timeout") || !strcmp(a, "-t")) {
			if (i + 1 >= vs->argc)
				return vs_failf(vs, -1, "%s needs a number of seconds", a);
			val = vs->argv[++i];
		} else if (!strncmp(a, "--timeout=", 10)) {
			val = a + 10;
		} else {
			return vs_failf(vs, -1, "%s: unknown argument '%s'", vs->argv[0], a);
		}
		if (vu_parse_uint(val, 0, 86400, &v) < 0)
			return vs_failf(vs, -1, "--timeout: '%s' is not a number of seconds (0-86400)",
					val);
		*timeout = (long)v;
	}
	return 0;
}

void vs_human(unsigned long long bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lluB", bytes);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}
