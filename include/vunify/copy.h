/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The copy core: making one inode a copy of another and putting it in the
 * place of a name, for every part of vunify that does it (the link break in
 * vunifyfs, vclone's copies, new store objects, vhashify's link
 * replacement).
 *
 * It is small on purpose and uses only the C library and the other core
 * sources (unify/xattr.c, unify/meta.c, unify/error.c, unify/escape.c):
 * vunifyfs compiles these into itself as objects of their own and links no
 * project library (fs/module.mk).
 *
 * Data never goes through a user-space read/write loop: FICLONE where the
 * filesystem shares extents, else copy_file_range(2) over the data ranges
 * only (SEEK_DATA/SEEK_HOLE), so that holes stay holes, with sendfile(2)
 * where copy_file_range is refused.
 *
 * The mark (VU_MARK_XATTR, format.h) is never copied: an xattr set keeps it
 * aside (xattr.h), and the only way it gets onto an inode here is the
 * explicit @mark of vu_copy_meta_fd(), which only the store passes, for a
 * new object.  A private copy therefore never looks shared.
 */
#ifndef VUNIFY_COPY_H
#define VUNIFY_COPY_H

#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/xattr.h"

/* Make @dst (empty, open for writing) a copy of the first @size bytes of
 * @src.  ESTALE if @src is shorter than @size (it changed meanwhile). */
int vu_copy_data(int dst, int src, uint64_t size, struct vu_err *e, const char *what);

/*
 * Give @fd the owner, mode, xattrs @x (NULL: none) and timestamps of @stx,
 * in the one order that keeps each: owner before mode (chown clears the
 * set-id bits), mode before xattrs (an access ACL sets the group bits, and
 * chown would drop security.capability), @mark (the object id, VU_ID_HEXLEN
 * digits; NULL for everything but a new store object) after them, the
 * times last (nothing after them may move them).
 */
int vu_copy_meta_fd(int fd, const struct statx *stx, const struct vu_xattrs *x,
		    const char *mark, struct vu_err *e, const char *what);

/* The same for the entry @name of @dirfd, not following it (symlinks,
 * devices, fifos, sockets), without a mark. */
int vu_copy_meta_at(int dirfd, const char *name, const struct statx *stx,
		    const struct vu_xattrs *x, struct vu_err *e, const char *what);

enum vu_copy_swap_result {
	VU_COPY_SWAPPED = 0,        /* @name is the new inode, @tmp is gone */
	VU_COPY_CHANGED,            /* @name was not @old any more: left alone, @tmp is gone */
	VU_COPY_SWAPPED_LEFT,       /* swapped, but @tmp (the old inode) could not be removed */
};

/*
 * The swap: the inode linked as @tmp in @dirfd takes the place of @name in
 * the same directory, atomically, provided @name still is @old (the inode
 * open as @oldfd, whose statx was @old).
 *
 * renameat2(RENAME_EXCHANGE) swaps the two names; then the inode that came
 * out under @tmp must be @old with the same size and mtime (its ctime moved
 * with the rename), or the exchange is undone.  Where the filesystem has no
 * RENAME_EXCHANGE: check first, then rename over.  Last @tmp is removed.
 * At every moment @name refers to a complete inode, the old or the new.
 *
 * Returns an enum vu_copy_swap_result (VU_COPY_SWAPPED_LEFT with @e set),
 * or -1 with @e set: @tmp is then removed, except when the exchange could
 * not be undone (then @tmp holds what @name held).
 */
int vu_copy_swap(int dirfd, const char *tmp, const char *name, int oldfd,
		 const struct statx *old, struct vu_err *e, const char *what);

#endif /* VUNIFY_COPY_H */
