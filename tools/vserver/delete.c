// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME delete: remove a stopped guest (its directory, guest.conf
 * and root, and its runtime directory).  Refuses while it runs or while
 * another tool holds the guest lock on its root (format.h).  The guest's
 * directory is first renamed to BASE/guests/.deleted.NAME.TIME.PID (not a
 * guest name, so never listed), then removed; a removal that stops half-way
 * leaves that, which the next delete finishes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/deepwalk.h"
#include "vsupervisor/supervisor.h"
#include "vserver.h"

#define TRASH_PREFIX ".deleted."

/* Files go at once; a directory once everything below it went (rm_leave). */
static int rm_entry(int dirfd, const char *name, const struct stat *st, bool mount_point,
		    void *arg)
{
	if (S_ISDIR(st->st_mode))
		return 1;               /* a mount point: vu_dwalk stops there */
	return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

static int rm_leave(int parentfd, const char *name, void *arg)
{
	return unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int vs_rmtree(const char *path, struct vu_err *e)
{
	static const struct vu_dwalk_ops ops = { .entry = rm_entry, .leave = rm_leave };
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : vu_err_set(e, errno, "%s", path);
	/* Any depth in three descriptors, never following a symlink, never
	 * entering a mount (that is an error, not a target). */
	if (vu_dwalk(path, &ops, NULL, e) < 0)
		return -1;
	if (rmdir(path) < 0)
		return vu_err_set(e, errno, "%s", path);
	return 0;
}

static bool is_trash(const struct dirent *d)
{
	return !strncmp(d->d_name, TRASH_PREFIX, strlen(TRASH_PREFIX));
}

/* Remove trees that an earlier delete renamed away but could not finish.
 * One that another delete is removing (its lock is held) is skipped. */
static void finish_trash(struct vs *vs)
{
	char guests[PATH_MAX + 16], path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(guests, sizeof(guests), "%s/guests", vs->base);
	d = opendir(guests);
	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;
		struct vu_err e;

		if (!is_trash(de))
			continue;
		snprintf(path, sizeof(path), "%s/%s", guests, de->d_name);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (vs_rmtree(path, &e) < 0)
			vs_failf(vs, VS_FAIL, "removing an earlier guest's tree: %s", e.msg);
	}
	closedir(d);
}

int vs_delete(struct vs *vs)
{
	_cleanup_close_ int lock = -1, root = -1, trash_fd = -1;
	char trash[PATH_MAX + 300];
	struct vu_err e;
	int r;

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "delete: unexpected argument '%s'", vs->argv[1]);
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	if (vu_layout_mkrun(&vs->l, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);
	lock = vu_layout_lock(&vs->l, &e);
	if (lock < 0)
		return e.code == EWOULDBLOCK ? vs_failf(vs, VS_FAIL, "is running; stop it first") :
		       vs_fail(vs, VS_FAIL, &e);
	if (vu_sup_cleanup(&vs->l, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);
	/* vunifyfs, vhashify and vclone hold this while they change the tree. */
	root = open(vs->l.root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root >= 0 && flock(root, LOCK_EX | LOCK_NB) < 0)
		return vs_failf(vs, VS_FAIL, "%s is in use (vunifyfs, vhashify or vclone)", vs->l.root);
	/* Locked before it is renamed, so that no other delete's
	 * finish_trash() takes it over half-way. */
	trash_fd = open(vs->l.guest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (trash_fd < 0 || flock(trash_fd, LOCK_EX | LOCK_NB) < 0)
		return vs_failf(vs, VS_FAIL, "%s: %s", vs->l.guest, strerror(errno));
	/* Renamed away first, atomically: whatever happens to the removal,
	 * the guest is either intact and listed or gone. */
	snprintf(trash, sizeof(trash), "%s/guests/" TRASH_PREFIX "%s.%lld.%d", vs->base, vs->name,
		 (long long)time(NULL), (int)getpid());
	if (renameat2(AT_FDCWD, vs->l.guest, AT_FDCWD, trash, RENAME_NOREPLACE) < 0)
		return vs_failf(vs, VS_FAIL, "%s: %s", vs->l.guest, strerror(errno));
	/* Its tree stays behind a barrier while it goes. */
	if (fchmod(trash_fd, 0) < 0)
		vs_failf(vs, VS_FAIL, "%s: %s", trash, strerror(errno));
	{
		char old[4200];

		unlink(vs->l.console);
		snprintf(old, sizeof(old), "%s.old", vs->l.console);
		unlink(old);
		unlink(vs->l.log);
		snprintf(old, sizeof(old), "%s.old", vs->l.log);
		unlink(old);
		rmdir(vs->l.logdir);
	}
	unlink(vs->l.lock);
	rmdir(vs->l.run);
	r = VS_OK;
	if (vs_rmtree(trash, &e) < 0)
		r = vs_failf(vs, VS_FAIL, "deleted, but removing its tree stopped: %s; the next "
			     "vserver delete finishes it", e.msg);
	finish_trash(vs);
	return r;
}
