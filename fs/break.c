// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The link break: replace one name of a store object by a private copy.
 *
 * Everything that would change a unified file through a name calls
 * vu_break() first, at open/create/setattr/xattr/link time, never from read
 * or write, so that a future kernel-passthrough data path needs no hooks.
 *
 * The copy is built off to the side and then swapped in:
 *
 *   1. an unnamed file (O_TMPFILE) in the name's directory gets the data
 *      (reflink or in-kernel copy, holes kept), owner, mode, xattrs without
 *      the mark, and last the atime and mtime; it is synced;
 *   2. it is linked under a reserved temporary name in the same directory;
 *   3. renameat2(RENAME_EXCHANGE) swaps it with the name: the name now is
 *      the private copy, the temporary name the old link to the object;
 *   4. the temporary name is unlinked.
 *
 * A crash before 3 leaves the shared name untouched (and at worst a
 * complete private copy under a reserved name); after 3 the complete
 * private copy (and at worst an extra link to the object under a reserved
 * name).  vunifyfs hides reserved names and removes those of dead
 * instances.  The store object and its other names are only ever read.
 *
 * The data and metadata copy and steps 3-4 are the copy core's
 * (include/vunify/copy.h), the same code vhashify replaces a file by a link
 * with (unify/replace.c).  What stays here is what only a mounted
 * filesystem has: the unnamed copy linked through our /proc/self/fd (the
 * daemon may have no CAP_DAC_READ_SEARCH), the disk-limit reservation, the
 * node and passthrough bookkeeping and what the guest is told.  vhashify's
 * side differs as much: it links an existing object instead of making a
 * copy, and keeps a journal and the directory's times, since it changes a
 * tree no guest asked it to change.
 *
 * With kernel passthrough, a node whose files are open through the kernel
 * cannot change its backing file; see the comment in vu_break().
 *
 * The node's lock is held throughout, and rename and unlink take it too,
 * so the name cannot move underneath.  The exchange is still verified: if
 * the name no longer held the object (changed on the host behind our
 * back), the exchange is undone and the break fails with EIO.  Where the
 * filesystem has no RENAME_EXCHANGE, the core checks first and renames
 * over (the name still is never missing, only the check is not atomic).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "vunify/copy.h"
#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunifyfs.h"

/* An unnamed file in @dirfd; falls back to a reserved name where the
 * filesystem has no O_TMPFILE (then *tmpname is set). */
static int make_tmp(int dirfd, char *tmpname, size_t len, bool *named)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	*named = false;
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	vu_tmp_name(tmpname, len);
	fd = openat(dirfd, tmpname, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	*named = true;
	return fd;
}

/* Fill @dst as a private copy of the object open as @src (whose statx is
 * @obj), keeping @keep bytes (-1: all): the copy core's data and metadata,
 * with the object's xattrs as a set, which keeps the mark aside. */
static int fill_copy(int src, int dst, const struct statx *obj, off_t keep)
{
	uint64_t size = keep < 0 || (uint64_t)keep > obj->stx_size ? obj->stx_size : (uint64_t)keep;
	struct vu_xattrs x = { 0 };
	struct vu_err e;
	int err = 0;

	if (vu_xattrs_read_fd(src, &x, &e, "link break") < 0 ||
	    vu_copy_data(dst, src, size, &e, "link break") < 0 ||
	    vu_copy_meta_fd(dst, obj, &x, NULL, &e, "link break") < 0)
		err = e.code ? -e.code : -EIO;
	/* The copy must be on disk before a name points to it. */
	else if (fdatasync(dst) < 0)
		err = -errno;
	vu_xattrs_free(&x);
	return err;
}

/* Give the unnamed copy a reserved name, unless it has one. */
static int name_tmp(int dirfd, int tmpfd, bool named, char *tmpname, size_t tmplen)
{
	char num[16];

	if (named)
		return 0;
	vu_tmp_name(tmpname, tmplen);
	snprintf(num, sizeof(num), "%d", tmpfd);
	/* Link the unnamed file through its /proc/self/fd magic link
	 * (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH). */
	if (linkat(vu_fs.proc_fd, num, dirfd, tmpname, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return 0;
}

/* Swap the complete copy in for @name in @dirfd (steps 2-4 above), with
 * the copy core's swap; the object (open as @src, statx @obj) must still be
 * what @name holds.  The temporary name is gone afterwards. */
static int swap_in(int dirfd, const char *name, int tmpfd, bool named, char *tmpname,
		   size_t tmplen, int src, const struct statx *obj)
{
	struct vu_err e;
	int err = name_tmp(dirfd, tmpfd, named, tmpname, tmplen);

	if (err) {
		if (named)
			unlinkat(dirfd, tmpname, 0);
		return err;
	}
	switch (vu_copy_swap(dirfd, tmpname, name, src, obj, &e, "link break")) {
	case VU_COPY_SWAPPED:
		return 0;
	case VU_COPY_SWAPPED_LEFT:
		/* The break has happened; the old link under a reserved name
		 * is removed by a later readdir. */
		vu_log(LOG_WARNING, "link break of '%s': %s", name, e.msg);
		return 0;
	case VU_COPY_CHANGED:
		vu_log(LOG_ERR, "link break of '%s': the name changed underneath; undone", name);
		return -EIO;
	default:
		return e.code ? -e.code : -EIO;
	}
}

int vu_break(struct vu_node *n, off_t keep, uid_t uid)
{
	struct vu_node *parent = NULL;
	char *name = NULL, tmpname[96];
	int src = -1, tmp = -1, newfd = -1, err, dirfd;
	int64_t need = -1, want;
	struct statx obj;
	struct stat st;
	bool named = false;

	if (!n->unified)
		return 0;
	pthread_mutex_lock(&n->lock);
	if (!n->unified) {
		err = 0;        /* another thread broke it meanwhile */
		goto out_unlock;
	}
	if (vu_fs.readonly) {
		err = -EROFS;
		goto out_unlock;
	}
	src = vu_reopen(n, O_RDONLY | O_NOATIME);
	if (src < 0 || vu_meta_statx(src, "", &obj) < 0) {
		err = -errno;
		goto out_close;
	}
	/* Under a disk limit the copy must fit before it is made: a break
	 * that cannot fails cleanly and leaves the shared name alone. */
	want = (int64_t)obj.stx_blocks * 512;
	if (keep >= 0 && keep < want)
		want = (keep + 4095) / 4096 * 4096;
	err = vu_usage_reserve(want, 1, uid);
	if (err)
		goto out_close;
	need = want;
	err = vu_node_name_get(n, &parent, &name);
	if (err)
		goto out_close;
	/*
	 * Kernel passthrough: open files of this node read the object through
	 * the kernel, and the kernel keeps the node's backing file until the
	 * last of them is closed (see below).  Such a node must never become
	 * private in place, or a later open would get the object's backing
	 * file for writing.  Without a name there is nothing to retarget: the
	 * request reached the node through a descriptor (/proc/PID/fd,
	 * map_files, a passed descriptor) whose name has since been broken,
	 * unlinked or renamed over.  It is stale for changes; the guest can
	 * open the name again.
	 */
	if (!name && n->bk_opens) {
		err = -ESTALE;
		goto out_close;
	}
	/* A name that was unlinked while open gets an anonymous copy. */
	dirfd = parent ? vu_node_fd(parent) : vu_fs.root_fd;
	if (dirfd < 0) {
		err = -errno;
		goto out_close;
	}

	tmp = make_tmp(dirfd, tmpname, sizeof(tmpname), &named);
	if (tmp < 0) {
		err = tmp;
		goto out_close;
	}
	err = fill_copy(src, tmp, &obj, keep);
	if (err)
		goto out_tmp;
	if (name) {
		err = swap_in(dirfd, name, tmp, named, tmpname, sizeof(tmpname), src, &obj);
		named = false;  /* swap_in cleaned up the temporary name */
		if (err)
			goto out_tmp;
	}
	if (n->bk_opens && name) {
		/*
		 * Kernel passthrough: the open files of this node read the
		 * object through the kernel, which allows one backing file per
		 * FUSE inode.  The name's private copy therefore becomes a new
		 * FUSE inode: this node lets go of the name and keeps serving
		 * its open files from the object (they see the shared content
		 * until reopened, as on Linux-VServer); the kernel forgets the
		 * name's entry, and the caller answers ESTALE, on which the
		 * kernel looks the name up again and retries the system call.
		 */
		vu_node_unnamed(n);
		vu_notify_inval_entry(vu_node_id(parent), name);
		/* The new inode has no node yet: charge it here; its node
		 * will find it counted. */
		if (vu_usage.enabled && fstat(tmp, &st) == 0)
			vu_usage_add((int64_t)st.st_blocks * 512, 1);
		err = -ESTALE;
		goto out_tmp;
	}
	newfd = vu_reopen(&(struct vu_node){ .fd = tmp }, O_PATH);
	if (newfd < 0 || fstat(newfd, &st) < 0) {
		/* The break is done on disk; the node just cannot follow it.
		 * Keep serving the object read-only rather than lie. */
		err = -errno;
		vu_log(LOG_ERR, "link break of '%s': %s", name ? name : "(unlinked)", strerror(-err));
		goto out_tmp;
	}
	/*
	 * Publish: the old O_PATH descriptor stays open until the node dies,
	 * because other threads may be using it right now for a read-only
	 * operation; anything that modifies calls vu_break() first and so sees
	 * the new descriptor.
	 */
	n->fd_old = n->fd;
	n->fd = newfd;
	newfd = -1;
	/* Another inode now: its old handle must never open the object. */
	free(n->fh);
	n->fh = NULL;
	vu_node_privatised(n, &st);
	atomic_fetch_add(&n->gen, 1);
	vu_usage_track_locked(n);       /* charged nothing while shared */

out_tmp:
	if (named)
		unlinkat(dirfd, tmpname, 0);
	close(tmp);
out_close:
	if (need >= 0)
		vu_usage_release(need, 1);
	if (newfd >= 0)
		close(newfd);
	if (src >= 0)
		close(src);
	if (parent)
		vu_node_release(parent);
	free(name);
out_unlock:
	pthread_mutex_unlock(&n->lock);
	return err;
}
