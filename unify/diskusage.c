// SPDX-License-Identifier: GPL-2.0-or-later
/* Private and shared disk use of a guest tree: see include/vunify/diskusage.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vunify/deepwalk.h"
#include "vunify/diskusage.h"
#include "vunify/format.h"
#include "vunify/objset.h"

/* Does regular file @name carry the mark?  Looked at through an O_PATH
 * descriptor, so that nothing in the tree is ever opened for reading: a name
 * swapped for a FIFO or a device node since the stat costs nothing. */
bool vu_du_marked(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char path[64];
	struct stat st;
	bool r = false;

	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		r = getxattr(path, VU_MARK_XATTR, NULL, 0) >= 0;
	close(fd);
	return r;
}

struct du_walk {
	struct vu_objset seen;          /* inodes with several names, counted */
	struct vu_du *du;
	vu_du_name_fn fn;
	void *arg;
};

/* Count one inode by the rule of format.h ("Private usage"). */
static void du_count(struct vu_du *du, const struct stat *st, bool is_marked)
{
	long long cost = vu_usage_cost(st, is_marked);

	if (cost < 0) {
		du->shared_bytes += (uint64_t)st->st_blocks * 512;
		du->shared_inodes++;
	} else {
		du->private_bytes += (uint64_t)cost;
		du->private_inodes++;
	}
}

/* One entry: count it the first time its inode is seen; enter directories
 * of the tree's own file system and mount. */
static int du_entry(int dirfd, const char *name, const struct stat *st, bool mount_point,
		    void *arg)
{
	struct du_walk *w = arg;

	if (mount_point)
		return 0;               /* a mount in the tree: not the guest's */
	if (w->fn)
		w->fn(w->arg, dirfd, name, st);
	if (st->st_nlink > 1 && !S_ISDIR(st->st_mode)) {
		if (vu_objset_has(&w->seen, st->st_ino))
			return 0;       /* each inode once */
		if (vu_objset_add(&w->seen, st->st_ino) < 0)
			return -ENOMEM;
	}
	du_count(w->du, st, S_ISREG(st->st_mode) && vu_du_marked(dirfd, name));
	return S_ISDIR(st->st_mode) ? 1 : 0;
}

int vu_du_scan_fd(int topfd, const char *label, struct vu_du *du, vu_du_name_fn fn, void *arg,
		  struct vu_err *e)
{
	static const struct vu_dwalk_ops ops = { .entry = du_entry };
	struct du_walk w = { .du = du, .fn = fn, .arg = arg };
	struct stat st;
	int r;

	memset(du, 0, sizeof(*du));
	if (fstat(topfd, &st) < 0)
		return vu_err_set(e, errno, "%s", label);
	if (!S_ISDIR(st.st_mode))
		return vu_err_set(e, ENOTDIR, "%s", label);
	du_count(du, &st, false);       /* the top directory itself */
	/* Every level, however deep: the walk holds three descriptors. */
	r = vu_dwalk_fd(topfd, label, &ops, &w, e);
	vu_objset_free(&w.seen);
	return r;
}

int vu_du_scan(const char *root, struct vu_du *du, struct vu_err *e)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0) {
		memset(du, 0, sizeof(*du));
		return vu_err_set(e, errno, "%s", root);
	}
	r = vu_du_scan_fd(fd, root, du, NULL, NULL, e);
	close(fd);
	return r;
}
