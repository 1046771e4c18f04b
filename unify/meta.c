// SPDX-License-Identifier: GPL-2.0-or-later
/* File metadata comparisons: see include/vunify/meta.h. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vunify/meta.h"

int vu_meta_statx(int dirfd, const char *name, struct statx *stx)
{
	int flags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_AS_STAT;

	if (!name[0])
		flags |= AT_EMPTY_PATH;
	return statx(dirfd, name, flags, VU_STATX_MASK, stx);
}

uint64_t vu_meta_mount_id(int dirfd, const char *name)
{
	struct statx stx;

	if (vu_meta_statx(dirfd, name, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

bool vu_meta_same_inode(const struct statx *a, const struct statx *b)
{
	return a->stx_ino == b->stx_ino && a->stx_dev_major == b->stx_dev_major &&
	       a->stx_dev_minor == b->stx_dev_minor;
}

bool vu_meta_unchanged(const struct statx *a, const struct statx *b)
{
	return vu_meta_same_inode(a, b) && a->stx_size == b->stx_size &&
	       vu_meta_ts_eq(&a->stx_mtime, &b->stx_mtime) &&
	       vu_meta_ts_eq(&a->stx_ctime, &b->stx_ctime);
}

bool vu_meta_looks_same(const struct statx *a, const struct statx *b, unsigned ignore)
{
	if (a->stx_mode != b->stx_mode || a->stx_uid != b->stx_uid ||
	    a->stx_gid != b->stx_gid || a->stx_size != b->stx_size)
		return false;
	if (!(ignore & VU_META_IGNORE_MTIME) && !vu_meta_ts_eq(&a->stx_mtime, &b->stx_mtime))
		return false;
	if (!(ignore & VU_META_IGNORE_ATIME) && !vu_meta_ts_eq(&a->stx_atime, &b->stx_atime))
		return false;
	return true;
}
