/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A walk of a directory tree of any depth with a bounded number of
 * descriptors: at most three are open at a time, whatever the depth (and
 * vu_dwalk() holds one more, for the top).
 *
 * Each directory is read whole first (its subdirectories' names and inode
 * numbers kept in memory), then its subdirectories are entered one after
 * the other with openat(O_NOFOLLOW | O_DIRECTORY) relative to it, the
 * parent's descriptor being closed meanwhile; the way back up is an
 * openat("..") whose device and inode must be the parent's.  Every access is
 * *at()-relative; no symlink is ever followed; no other file system is
 * entered; a directory swapped or moved during the walk ends it with an
 * error rather than send it anywhere else.  For trees a guest controls (its
 * root, from the host), where a chain of 5,000 directories costs it nothing.
 * Directories are read with O_NOATIME where allowed: looking moves nothing.
 */
#ifndef VUNIFY_DEEPWALK_H
#define VUNIFY_DEEPWALK_H

#include <stdbool.h>
#include <sys/stat.h>

#include "vunify/error.h"

struct vu_dwalk_ops {
	/* Every entry of a directory (@dirfd), with its lstat; @mount_point
	 * if it is a directory on another file system or mount (never
	 * entered).  Returns 1 to enter a directory, 0 to go on, or a
	 * negative errno to end the walk (reported as "DIR/NAME: cause";
	 * -EXDEV, or 1 for a mount point, as "DIR/NAME: a mount point"). */
	int (*entry)(int dirfd, const char *name, const struct stat *st, bool mount_point,
		     void *arg);
	/* After every entry below directory @name of @parentfd was seen (not
	 * called for the top).  Returns 0 or a negative errno, as @entry. */
	int (*leave)(int parentfd, const char *name, void *arg);
};

/* Walk the tree below directory @top (itself not a symlink).  0, or -1 with
 * @e naming the path where it stopped. */
int vu_dwalk(const char *top, const struct vu_dwalk_ops *ops, void *arg, struct vu_err *e);

/* The same below the directory open as @topfd (any kind of descriptor; the
 * walk opens its own), named @label in messages. */
int vu_dwalk_fd(int topfd, const char *label, const struct vu_dwalk_ops *ops, void *arg,
		struct vu_err *e);

#endif /* VUNIFY_DEEPWALK_H */
