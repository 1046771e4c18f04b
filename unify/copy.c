// SPDX-License-Identifier: GPL-2.0-or-later
/* The copy core: see include/vunify/copy.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vunify/copy.h"
#include "vunify/format.h"
#include "vunify/meta.h"

/* Copy [off, off + len) in the kernel. */
static int copy_range(int dst, int src, off_t off, off_t len, bool *use_cfr)
{
	while (len > 0) {
		/* At most 1 GiB a call, so that a huge range stays interruptible. */
		size_t chunk = len > (1 << 30) ? (size_t)1 << 30 : (size_t)len;
		ssize_t n;

		if (*use_cfr) {
			loff_t in = off, out = off;

			n = copy_file_range(src, &in, dst, &out, chunk, 0);
			if (n < 0 && (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS ||
				      errno == EINVAL)) {
				*use_cfr = false;
				continue;
			}
		} else {
			off_t in = off;

			if (lseek(dst, off, SEEK_SET) < 0)
				return -1;
			n = sendfile(dst, src, &in, chunk);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ESTALE;     /* the source got shorter */
			return -1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

int vu_copy_data(int dst, int src, uint64_t size, struct vu_err *e, const char *what)
{
	bool use_cfr = true;
	off_t off = 0;
	struct stat st;

	if (fstat(src, &st) < 0)
		return vu_err_set(e, errno, "%s", what);
	/* Shorter than when it was looked at: never make up the rest. */
	if (size > (uint64_t)st.st_size)
		return vu_err_set(e, ESTALE, "%s: changed while it was copied", what);
	/* A whole-file reflink costs no data blocks; a prefix is copied. */
	if (size && size == (uint64_t)st.st_size && ioctl(dst, FICLONE, src) == 0)
		goto check;
	while ((uint64_t)off < size) {
		off_t data = lseek(src, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;                  /* only a hole is left */
		if (data < 0 && errno != EINVAL)
			return vu_err_set(e, errno, "%s: seek", what);
		if (data < 0) {
			data = off;             /* no SEEK_DATA: all data */
			hole = size;
		} else {
			hole = lseek(src, data, SEEK_HOLE);
			if (hole < 0)
				return vu_err_set(e, errno, "%s: seek", what);
		}
		if ((uint64_t)data >= size)
			break;
		if ((uint64_t)hole > size)
			hole = size;
		if (copy_range(dst, src, data, hole - data, &use_cfr) < 0)
			return vu_err_set(e, errno, "%s: copy", what);
		off = hole;
	}
	/* Trailing holes and the exact size. */
	if (ftruncate(dst, size) < 0)
		return vu_err_set(e, errno, "%s: truncate", what);
check:
	if (fstat(dst, &st) < 0)
		return vu_err_set(e, errno, "%s", what);
	if ((uint64_t)st.st_size != size)
		return vu_err_set(e, ESTALE, "%s: changed while it was copied", what);
	return 0;
}

int vu_copy_meta_fd(int fd, const struct statx *stx, const struct vu_xattrs *x,
		    const char *mark, struct vu_err *e, const char *what)
{
	struct timespec ts[2] = { vu_meta_ts(&stx->stx_atime), vu_meta_ts(&stx->stx_mtime) };

	if (fchown(fd, stx->stx_uid, stx->stx_gid) < 0)
		return vu_err_set(e, errno, "%s: chown", what);
	if (fchmod(fd, stx->stx_mode & 07777) < 0)
		return vu_err_set(e, errno, "%s: chmod", what);
	if (x && vu_xattrs_apply_fd(fd, x, e, what) < 0)
		return -1;
	if (mark && fsetxattr(fd, VU_MARK_XATTR, mark, VU_ID_HEXLEN, 0) < 0)
		return vu_err_set(e, errno, "%s: set %s", what, VU_MARK_XATTR);
	if (futimens(fd, ts) < 0)
		return vu_err_set(e, errno, "%s: set times", what);
	return 0;
}

int vu_copy_meta_at(int dirfd, const char *name, const struct statx *stx,
		    const struct vu_xattrs *x, struct vu_err *e, const char *what)
{
	struct timespec ts[2] = { vu_meta_ts(&stx->stx_atime), vu_meta_ts(&stx->stx_mtime) };

	if (fchownat(dirfd, name, stx->stx_uid, stx->stx_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return vu_err_set(e, errno, "%s: chown", what);
	/* Symlinks have no mode of their own. */
	if (!S_ISLNK(stx->stx_mode) && fchmodat(dirfd, name, stx->stx_mode & 07777, 0) < 0)
		return vu_err_set(e, errno, "%s: chmod", what);
	if (x && vu_xattrs_apply_at(dirfd, name, x, e, what) < 0)
		return -1;
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return vu_err_set(e, errno, "%s: set times", what);
	return 0;
}

/* Without RENAME_EXCHANGE: rename over @name if it still is @old, unchanged. */
static int swap_over(int dirfd, const char *tmp, const char *name, int oldfd,
		     const struct statx *old, struct vu_err *e, const char *what)
{
	struct statx now;

	if (vu_meta_statx(dirfd, name, &now) < 0 || !vu_meta_same_inode(&now, old) ||
	    vu_meta_statx(oldfd, "", &now) < 0 || !vu_meta_unchanged(&now, old)) {
		unlinkat(dirfd, tmp, 0);
		return VU_COPY_CHANGED;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		vu_err_set(e, errno, "%s: rename", what);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return VU_COPY_SWAPPED;
}

int vu_copy_swap(int dirfd, const char *tmp, const char *name, int oldfd,
		 const struct statx *old, struct vu_err *e, const char *what)
{
	int result = VU_COPY_SWAPPED;
	struct statx moved, now;

	if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) < 0) {
		if (errno == EINVAL || errno == ENOSYS)
			return swap_over(dirfd, tmp, name, oldfd, old, e, what);
		vu_err_set(e, errno, "%s: rename", what);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	/* Was it the inode we were given, unchanged?  (Its ctime moved with
	 * the rename; size and mtime may not have.) */
	if (vu_meta_statx(dirfd, tmp, &moved) < 0 || !vu_meta_same_inode(&moved, old) ||
	    vu_meta_statx(oldfd, "", &now) < 0 || now.stx_size != old->stx_size ||
	    !vu_meta_ts_eq(&now.stx_mtime, &old->stx_mtime)) {
		if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) < 0)
			return vu_err_set(e, errno, "%s: rename back", what);
		result = VU_COPY_CHANGED;
	}
	/* The old inode's name, or the new one's after the exchange back. */
	if (unlinkat(dirfd, tmp, 0) < 0) {
		vu_err_set(e, errno, "%s: remove %s", what, tmp);
		return result == VU_COPY_SWAPPED ? VU_COPY_SWAPPED_LEFT : -1;
	}
	return result;
}
