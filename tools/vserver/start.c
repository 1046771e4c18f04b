// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME start: boot the guest; returns once its init runs. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vsupervisor/nat.h"
#include "vsupervisor/netlink.h"
#include "vsupervisor/supervisor.h"
#include "vserver.h"

/* Refuse a host_ifname that names someone else's interface (a bridge, the
 * uplink), a missing bridge or link, before anything is set up; the
 * supervisor checks again. */
static int check_host_ifname(struct vs *vs, const struct vu_gconf *c, struct vu_err *e)
{
	char mark[VU_NL_MARKSZ];
	struct vu_nl nl;
	int r;

	if (c->net_mode == VU_NET_NONE || c->net_mode == VU_NET_HOST)
		return 0;
	if (c->nat && !vu_nat_nft())
		return vu_err_set(e, ENOENT, "[network] nat = yes needs nft(8), which is not "
				  "installed (Debian: apt-get install nftables)");
	if (vu_nl_open(&nl, e) < 0)
		return -1;
	/* The bridge or link guest.conf names must exist (and be a bridge). */
	if (c->net_mode == VU_NET_BRIDGE)
		r = vu_nl_bridge_check(&nl, c->bridge, e);
	else if (c->link[0])
		r = vu_nl_link_index(&nl, c->link, e);
	else
		r = 0;
	if (r >= 0 && vu_net_has_veth(c->net_mode)) {
		vu_nl_mark(vs->l.base, vs->l.name, mark);
		r = vu_nl_link_check(&nl, c->host_ifname, mark, e);
	}
	vu_nl_close(&nl);
	return r < 0 ? -1 : 0;
}

/* Is @path @dir or below it? */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0 || n == 1);
}

/* Resolve @src as the kernel would, one component at a time, into @out; 1
 * if any step of it, symlink targets included, lands in @bad[0] or @bad[1]
 * (a guest's symlink may be on the way, whatever the end looks like). */
static int resolve_avoiding(const char *src, const char *const bad[2], char out[PATH_MAX],
			    struct vu_err *e)
{
	char rest[2 * PATH_MAX], link[PATH_MAX], next[PATH_MAX];
	int links = 0;

	snprintf(out, PATH_MAX, "/");
	if (snprintf(rest, sizeof(rest), "%s", src) >= (int)sizeof(rest))
		return vu_err_set(e, ENAMETOOLONG, "%s", src);
	while (rest[0]) {
		char *comp = rest + strspn(rest, "/"), *end = comp + strcspn(comp, "/");
		size_t n = (size_t)(end - comp);
		struct stat st;
		ssize_t l;

		if (n == 0)
			break;
		if (n == 1 && comp[0] == '.') {
			memmove(rest, end, strlen(end) + 1);
			continue;
		}
		if (n == 2 && comp[0] == '.' && comp[1] == '.') {
			char *slash = strrchr(out, '/');

			slash == out ? (void)(out[1] = 0) : (void)(*slash = 0);
			memmove(rest, end, strlen(end) + 1);
			continue;
		}
		if (snprintf(next, sizeof(next), "%s%s%.*s", out, strcmp(out, "/") ? "/" : "",
			     (int)n, comp) >= (int)sizeof(next))
			return vu_err_set(e, ENAMETOOLONG, "%s", src);
		memmove(rest, end, strlen(end) + 1);
		if (below(next, bad[0]) || below(next, bad[1]))
			return 1;
		if (lstat(next, &st) < 0)
			return vu_err_set(e, errno, "%s", src);
		if (!S_ISLNK(st.st_mode)) {
			memcpy(out, next, strlen(next) + 1);
			continue;
		}
		if (++links > 40)
			return vu_err_set(e, ELOOP, "%s", src);
		l = readlink(next, link, sizeof(link) - 1);
		if (l < 0)
			return vu_err_set(e, errno, "%s", next);
		link[l] = 0;
		if (link[0] == '/')
			snprintf(out, PATH_MAX, "/");
		if (strlen(link) + 1 + strlen(rest) >= sizeof(rest))
			return vu_err_set(e, ENAMETOOLONG, "%s", src);
		memmove(rest + l + 1, rest, strlen(rest) + 1);
		memcpy(rest, link, (size_t)l);
		rest[l] = '/';
	}
	return below(out, bad[0]) || below(out, bad[1]);
}

/* [mounts] sources are the administrator's, but one that is inside the base
 * or the run directory, or whose resolution passes through them, goes
 * through guests' trees, where a guest may plant a symlink to / and get the
 * host's root bound into it.  Refuse those; make the others real paths,
 * which the mount then opens without following any symlink (rootfs.c), so
 * that nothing can redirect it between now and then. */
static int check_mounts(struct vs *vs, struct vu_gconf *c, struct vu_err *e)
{
	char base[PATH_MAX], run[PATH_MAX], real[PATH_MAX];
	const char *const bad[2] = { base, run };

	if (!realpath(vs->base, base))
		return vu_err_set(e, errno, "%s", vs->base);
	if (!realpath(vu_layout_rundir(), run))
		snprintf(run, sizeof(run), "%s", vu_layout_rundir());
	for (size_t i = 0; i < c->n_mounts; i++) {
		struct vu_gconf_mount *m = &c->mounts[i];
		int r = resolve_avoiding(m->source, bad, real, e);

		if (r < 0)
			return vu_err_prefix(e, "[mounts] %s", m->target);
		if (r > 0 || below(m->source, vs->base) || below(m->source, vu_layout_rundir()))
			return vu_err_set(e, 0, "[mounts] %s: %s is inside %s or %s, where guests "
					  "can plant symlinks; bind a directory outside them",
					  m->target, m->source, base, run);
		snprintf(m->source, sizeof(m->source), "%s", real);
	}
	return 0;
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
	if (check_host_ifname(vs, &c, &e) < 0 || check_mounts(vs, &c, &e) < 0) {
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
