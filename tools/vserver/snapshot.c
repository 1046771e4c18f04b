// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME snapshot NEW [-q]: a copy of a stopped guest as guest NEW,
 * in seconds and almost no space: vclone of its tree (every file shared
 * through the store, copied on its first write by either) and its
 * guest.conf as it is.  Unlike `build --template`, nothing of the guest's
 * identity is rewritten: a snapshot is the guest as it was, to keep, to
 * start instead of it, or to send elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "build_int.h"
#include "vserver.h"

/* Copy @from to @to (made here, 0644 as build writes it). */
static int copy_conf(const char *from, const char *to, struct vu_err *e)
{
	_cleanup_close_ int in = -1, out = -1;
	char buf[65536];
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return vu_err_set(e, errno, "%s", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0)
		return vu_err_set(e, errno, "%s", to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return vu_err_set(e, errno ? errno : EIO, "%s", to);
	if (n < 0)
		return vu_err_set(e, errno, "%s", from);
	if (fsync(out) < 0)
		return vu_err_set(e, errno, "%s", to);
	return 0;
}

int vs_snapshot(struct vs *vs)
{
	struct vs snap = *vs;
	bool quiet = false;
	const char *name = NULL;
	struct vu_err e;
	struct stat st;
	int r;

	for (int i = 1; i < vs->argc; i++) {
		if (!strcmp(vs->argv[i], "-q") || !strcmp(vs->argv[i], "--quiet"))
			quiet = true;
		else if (vs->argv[i][0] == '-' || name)
			return vs_failf(vs, VS_USAGE, "snapshot: unexpected argument '%s'",
					vs->argv[i]);
		else
			name = vs->argv[i];
	}
	if (!name)
		return vs_failf(vs, VS_USAGE, "snapshot: which name? (snapshot NEW)");
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	/* A running guest's tree changes under the copy: a snapshot of it
	 * would be of no moment at all. */
	if (vu_layout_running(&vs->l))
		return vs_failf(vs, VS_FAIL, "is running; stop it first (a snapshot is of a "
				"stopped guest)");
	snap.name = name;
	if (vu_layout_init(&snap.l, vs->base, name, &e) < 0)
		return vs_fail(vs, VS_USAGE, &e);
	if (lstat(snap.l.guest, &st) == 0)
		return vs_failf(vs, VS_FAIL, "%s already exists", snap.l.guest);
	vs_build_catch_signals();
	/* The barrier, as build makes it (vserver(8), BARRIER). */
	if (mkdir(snap.l.guest, 0) < 0)
		return vs_failf(vs, VS_FAIL, "%s: %s", snap.l.guest, strerror(errno));
	r = vs_build_vclone(&snap, vs->l.root, quiet, &e);
	if (r == 0)
		r = copy_conf(vs->l.conf, snap.l.conf, &e);
	return vs_build_end(vs, snap.l.guest, r, &e);
}
