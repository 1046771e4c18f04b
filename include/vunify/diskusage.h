/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A guest tree's disk use, split into what is private to the guest and what
 * it shares with others through the store, by the one rule of format.h
 * ("Private usage"): the numbers vunifyfs keeps in its usage record, and
 * those `vserver NAME status` and `vhashify stats` print.  Bytes are
 * allocated blocks; an inode is counted once however many names it has in
 * the tree; the top directory counts.  The walk is vu_dwalk() (deepwalk.h):
 * any depth in a bounded number of descriptors, *at() calls relative to
 * directory descriptors, never following a symlink and never leaving the
 * file system or the mount.
 */
#ifndef VUNIFY_DISKUSAGE_H
#define VUNIFY_DISKUSAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"

struct vu_du {
	uint64_t private_bytes, private_inodes;
	uint64_t shared_bytes, shared_inodes;       /* store objects, each once */
};

/* Called for every name the count looks at (not the top, not what lies on
 * another file system or mount), in walk order, with its lstat. */
typedef void (*vu_du_name_fn)(void *arg, int dirfd, const char *name, const struct stat *st);

/* Does the regular file @name in @dirfd carry the mark (any value)?  Looked
 * at through an O_PATH descriptor: nothing is opened for reading. */
bool vu_du_marked(int dirfd, const char *name);

/* Count the tree below the directory @root. */
int vu_du_scan(const char *root, struct vu_du *du, struct vu_err *e);

/* The same below the directory open as @topfd (named @label in messages),
 * calling @fn (if not NULL) for every name. */
int vu_du_scan_fd(int topfd, const char *label, struct vu_du *du, vu_du_name_fn fn, void *arg,
		  struct vu_err *e);

#endif /* VUNIFY_DISKUSAGE_H */
