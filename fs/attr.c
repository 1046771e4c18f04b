// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Attributes: getattr, setattr, readlink, statfs and extended attributes.
 *
 * Any change of a unified file's metadata (mode, owner, size, times, xattrs)
 * breaks the link first.  The mark is private to vunify: invisible in
 * listxattr, ENODATA from getxattr, and neither settable nor removable.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <unistd.h>

#include "vunify/format.h"
#include "vunifyfs.h"

static void reply_attr(fuse_req_t req, struct vu_node *n)
{
	struct stat st;

	if (vu_stat(n, &st) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	vu_fix_stat(n, &st);
	fuse_reply_attr(req, &st, vu_fs.timeout);
}

static void vu_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	reply_attr(req, vu_node_get(ino));
}

static int set_size(struct vu_node *n, struct fuse_file_info *fi, off_t size)
{
	struct vu_file *f = fi ? vu_file_of(fi) : NULL;
	char path[64];
	int res;

	/* The descriptor the guest used if it can write, else by inode. */
	if (f && (f->flags & O_ACCMODE) != O_RDONLY) {
		res = ftruncate(vu_file_fd(f, n), size);
	} else {
		vu_proc_path(n, path, sizeof(path));
		res = truncate(path, size);
	}
	return res < 0 ? -errno : 0;
}

static int set_times(struct vu_node *n, const struct stat *attr, int valid)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };
	char path[64];

	if (valid & FUSE_SET_ATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_ATIME)
		ts[0] = attr->st_atim;
	if (valid & FUSE_SET_ATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_MTIME)
		ts[1] = attr->st_mtim;
	/* Through the magic link: it lands on the inode itself, also for a
	 * symlink, without following it. */
	vu_proc_path(n, path, sizeof(path));
	return utimensat(AT_FDCWD, path, ts, 0) < 0 ? -errno : 0;
}

/*
 * Would this setattr change anything?  The kernel also sends values it
 * already has, e.g. cached times it writes back after a rename with the
 * writeback cache on; those must not break a unified file.
 */
static bool setattr_changes(struct vu_node *n, const struct stat *attr, int valid)
{
	struct stat st;

	if (valid & (FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW))
		return true;
	if (vu_stat(n, &st) < 0)
		return true;
	return ((valid & FUSE_SET_ATTR_MODE) && (attr->st_mode & 07777) != (st.st_mode & 07777)) ||
	       ((valid & FUSE_SET_ATTR_UID) && attr->st_uid != st.st_uid) ||
	       ((valid & FUSE_SET_ATTR_GID) && attr->st_gid != st.st_gid) ||
	       ((valid & FUSE_SET_ATTR_SIZE) && attr->st_size != st.st_size) ||
	       ((valid & FUSE_SET_ATTR_ATIME) && !vu_time_eq(&attr->st_atim, &st.st_atim)) ||
	       ((valid & FUSE_SET_ATTR_MTIME) && !vu_time_eq(&attr->st_mtim, &st.st_mtim)) ||
	       ((valid & FUSE_SET_ATTR_KILL_SUID) && (st.st_mode & (S_ISUID | S_ISGID)));
}

bool vu_kill_privs(struct vu_node *n)
{
	char path[64];
	struct stat st;
	bool dropped = false;
	mode_t mode;

	if (vu_stat(n, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	vu_proc_path(n, path, sizeof(path));
	mode = st.st_mode & ~S_ISUID;
	if (mode & S_IXGRP)
		mode &= ~S_ISGID;
	if (mode != st.st_mode) {
		if (chmod(path, mode & 07777) == 0)
			dropped = true;
		else
			vu_log(LOG_WARNING, "cannot drop setuid/setgid of inode %lu: %s",
			       (unsigned long)st.st_ino, strerror(errno));
	}
	if (removexattr(path, "security.capability") == 0)
		dropped = true;
	else if (errno != ENODATA && errno != ENOTSUP)
		vu_log(LOG_WARNING, "cannot drop the capabilities of inode %lu: %s",
		       (unsigned long)st.st_ino, strerror(errno));
	return dropped;
}

static void vu_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid,
		       struct fuse_file_info *fi)
{
	struct vu_node *n = vu_node_get(ino);
	char path[64];
	int err = 0;

	/*
	 * With HANDLE_KILLPRIV_V2 the kernel asks to drop setuid/setgid before
	 * a write by a caller without CAP_FSETID with a SETATTR that sets
	 * nothing (passthrough writes never come here, so this is the only
	 * word we get for them), and before a truncation with KILL_SUIDGID.
	 */
	if (vu_fs.killpriv_v2 && (!valid || (valid & FUSE_SET_ATTR_KILL_SUID)))
		valid |= FUSE_SET_ATTR_KILL_SUID;
	else
		valid &= ~FUSE_SET_ATTR_KILL_SUID;
	if (n->unified) {
		if (!setattr_changes(n, attr, valid))
			goto out;       /* nothing to do, and nothing to break */
		/* A truncation only needs what survives it copied. */
		err = vu_break(n, (valid & FUSE_SET_ATTR_SIZE) ? attr->st_size : -1,
			       fuse_req_ctx(req)->uid);
		if (err)
			goto out;
	}
	/* Owner before mode: chown clears setuid/setgid. */
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
		gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

		int fd = vu_node_fd(n);

		if (fd < 0 || fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
			err = -errno;
			goto out;
		}
	}
	if (valid & FUSE_SET_ATTR_MODE) {
		if (S_ISLNK(n->type)) {
			err = -EOPNOTSUPP;
			goto out;
		}
		vu_proc_path(n, path, sizeof(path));
		if (chmod(path, attr->st_mode & 07777) < 0) {
			err = -errno;
			goto out;
		}
	}
	if (valid & FUSE_SET_ATTR_SIZE) {
		err = set_size(n, fi, attr->st_size);
		if (err)
			goto out;
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		     FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW))
		err = set_times(n, attr, valid);
	if (!err && (valid & FUSE_SET_ATTR_KILL_SUID))
		vu_kill_privs(n);
out:
	vu_usage_track(n);
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_attr(req, n);
}

static void vu_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	int fd = vu_node_fd(vu_node_get(ino));
	ssize_t len = fd < 0 ? -1 : readlinkat(fd, "", buf, sizeof(buf));

	if (len < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if ((size_t)len >= sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	buf[len] = '\0';
	fuse_reply_readlink(req, buf);
}

static void vu_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(vu_fs.root_fd, &sv) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	/* Under limits, df shows the guest's budget, not the host's disk. */
	vu_usage_statfs(&sv);
	fuse_reply_statfs(req, &sv);
}

/* trusted.vunify and trusted.vunify.*: vunify's own, never the guest's. */
static bool is_mark(const char *name)
{
	size_t len = strlen(VU_MARK_XATTR);

	return strncmp(name, VU_MARK_XATTR, len) == 0 && (name[len] == '\0' || name[len] == '.');
}

static void vu_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char path[64], *buf = NULL;
	ssize_t len;

	if (is_mark(name)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	vu_proc_path(vu_node_get(ino), path, sizeof(path));
	len = getxattr(path, name, buf, size);
	if (len < 0)
		fuse_reply_err(req, errno);
	else if (size)
		fuse_reply_buf(req, buf, len);
	else
		fuse_reply_xattr(req, len);
	free(buf);
}

/* Drop the mark from a NUL-separated name list; returns the new length. */
static size_t hide_mark(char *list, size_t len)
{
	char *p = list, *end = list + len;

	while (p < end) {
		size_t l = strlen(p) + 1;

		if (is_mark(p)) {
			memmove(p, p + l, end - (p + l));
			end -= l;
		} else {
			p += l;
		}
	}
	return end - list;
}

static void vu_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char path[64], *buf = NULL;
	ssize_t len;

	vu_proc_path(vu_node_get(ino), path, sizeof(path));
	/* Always fetch the list: even a size query must not count the mark. */
	for (;;) {
		len = listxattr(path, NULL, 0);
		if (len <= 0)
			break;
		free(buf);
		buf = malloc(len);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		len = listxattr(path, buf, len);
		if (len >= 0 || errno != ERANGE)
			break;
	}
	if (len < 0) {
		fuse_reply_err(req, errno);
	} else {
		len = len ? hide_mark(buf, len) : 0;
		if (!size)
			fuse_reply_xattr(req, len);
		else if ((size_t)len > size)
			fuse_reply_err(req, ERANGE);
		else
			fuse_reply_buf(req, buf, len);
	}
	free(buf);
}

/* setxattr (@value non-NULL) or removexattr of @name: the mark is refused;
 * anything else breaks a unified file first. */
static void change_xattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			 size_t size, int flags)
{
	struct vu_node *n = vu_node_get(ino);
	char path[64];
	int err, res;

	if (is_mark(name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	err = vu_break(n, -1, fuse_req_ctx(req)->uid);
	if (!err) {
		vu_proc_path(n, path, sizeof(path));
		res = value ? setxattr(path, name, value, size, flags) : removexattr(path, name);
		if (res < 0)
			err = -errno;
		vu_usage_track(n);      /* an xattr block may come or go */
	}
	fuse_reply_err(req, -err);
}

static void vu_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	change_xattr(req, ino, name, value ? value : "", size, flags);
}

static void vu_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	change_xattr(req, ino, name, NULL, 0, 0);
}

void vu_ops_attr(struct fuse_lowlevel_ops *ops)
{
	ops->getattr = vu_getattr;
	ops->setattr = vu_setattr;
	ops->readlink = vu_readlink;
	ops->statfs = vu_statfs;
	ops->getxattr = vu_getxattr;
	ops->listxattr = vu_listxattr;
	ops->setxattr = vu_setxattr;
	ops->removexattr = vu_removexattr;
}
