/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copying a file's data and metadata without a user-space read/write loop:
 * FICLONE where the filesystem shares extents, else copy_file_range(2) over
 * the data ranges only (SEEK_DATA/SEEK_HOLE), so that holes stay holes.
 */
#ifndef VUNIFY_COPY_H
#define VUNIFY_COPY_H

#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/xattr.h"

/* Make @dst (empty, open for writing) a copy of the first @size bytes of
 * @src.  ESTALE if @src is shorter than @size. */
int vu_copy_data(int dst, int src, uint64_t size, struct vu_err *e, const char *what);

/* Give @fd the owner, mode, xattrs @x and timestamps of @stx, in the order
 * that keeps each (chown clears set-id bits and capabilities; writes move
 * mtime). */
int vu_copy_meta_fd(int fd, const struct statx *stx, const struct vu_xattrs *x,
		    struct vu_err *e, const char *what);

/* The same for the entry @name of @dirfd, not following it (symlinks,
 * devices, fifos, sockets). */
int vu_copy_meta_at(int dirfd, const char *name, const struct statx *stx,
		    const struct vu_xattrs *x, struct vu_err *e, const char *what);

#endif /* VUNIFY_COPY_H */
