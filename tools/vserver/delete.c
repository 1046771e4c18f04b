// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME delete: remove a stopped guest (its directory, guest.conf
 * and root, and its runtime directory).  Refuses while it runs or while
 * another tool holds the guest lock on its root (format.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/supervisor.h"
#include "vserver.h"

/* Empty directory @fd: *at() calls only, no symlink followed, no other file
 * system entered (a mount inside is an error, not a target). */
static int empty_dir(int fd, dev_t dev, const char *path, int depth, struct vu_err *e)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 4096)
		return vu_err_set(e, ELOOP, "%s: too deep", path);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return vu_err_set(e, errno, "%s", path);
	}
	while (r == 0 && (de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = vu_err_set(e, errno, "%s/%s", path, de->d_name);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (st.st_dev != dev) {
				r = vu_err_set(e, EXDEV, "%s/%s: a mount point", path, de->d_name);
				break;
			}
			sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = vu_err_set(e, errno, "%s/%s", path, de->d_name);
				break;
			}
			r = empty_dir(sub, dev, path, depth + 1, e);
			if (r == 0 && unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0)
				r = vu_err_set(e, errno, "%s/%s", path, de->d_name);
		} else if (unlinkat(fd, de->d_name, 0) < 0) {
			r = vu_err_set(e, errno, "%s/%s", path, de->d_name);
		}
	}
	closedir(d);
	return r;
}

int vs_rmtree(const char *path, struct vu_err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : vu_err_set(e, errno, "%s", path);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return vu_err_set(e, errno, "%s", path);
	}
	if (empty_dir(fd, st.st_dev, path, 0, e) < 0)
		return -1;
	if (rmdir(path) < 0)
		return vu_err_set(e, errno, "%s", path);
	return 0;
}

int vs_delete(struct vs *vs)
{
	_cleanup_close_ int lock = -1, root = -1;
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
	if (vs_rmtree(vs->l.guest, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);
	{
		char old[4200];

		unlink(vs->l.console);
		snprintf(old, sizeof(old), "%s.old", vs->l.console);
		unlink(old);
		unlink(vs->l.log);
		snprintf(old, sizeof(old), "%s.old", vs->l.log);
		unlink(old);
	}
	unlink(vs->l.lock);
	rmdir(vs->l.run);
	return VS_OK;
}
