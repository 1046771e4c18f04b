/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Walking a guest tree from the host, safely and fast.
 *
 * Every directory is entered with openat(O_NOFOLLOW | O_DIRECTORY) relative
 * to its parent's descriptor and checked to be the inode we stat'ed, so the
 * walk never follows a symlink and never leaves the tree, whatever the guest
 * put in it.  Entries are stat'ed (statx, AT_SYMLINK_NOFOLLOW) in inode
 * order, which on a cold cache reads inode tables sequentially.  Mount
 * points (another device or another mount) are reported and never entered.
 * Directories are read with O_NOATIME, so walking moves no atime.
 *
 * Paths handed to callbacks are relative to the guest's top and start with
 * '/' ("/etc/passwd"); they are for messages, the index and the exclude
 * rules, never for access.
 */
#ifndef VUNIFY_WALK_H
#define VUNIFY_WALK_H

#include <stdbool.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/exclude.h"

struct vu_walk_entry {
	int dirfd;                   /* the directory that holds it */
	const char *name;            /* its name there */
	const char *path;            /* "/a/b" */
	size_t pathlen;
	const struct statx *stx;
	enum vu_ex_decision decision; /* never VU_EX_SKIP: those are left out */
	void *parent;                /* what @entry returned for the directory */
	bool mount_point;            /* on another device or mount: never entered */
	bool reserved;               /* a name with VU_TMP_PREFIX: never entered */
};

enum vu_walk_action {
	VU_WALK_NEXT = 0,            /* go on (do not enter it, if a directory) */
	VU_WALK_DESCEND,             /* enter this directory */
	VU_WALK_STOP,                /* end the walk (the callback set the error) */
};

struct vu_walk_ops {
	/* Every entry.  For a directory that is to be entered, *@data may be
	 * set: it is passed as @parent to its entries and to @leave. */
	int (*entry)(void *arg, const struct vu_walk_entry *ent, void **data);
	/* After a directory's entries (also for the top, with path "/"); @fd
	 * is the directory itself.  Return VU_WALK_STOP to end the walk. */
	int (*leave)(void *arg, int fd, const struct vu_walk_entry *ent, void *data);
	/* A path that could not be looked at; the walk goes on. */
	void (*error)(void *arg, const struct vu_err *e);
};

/*
 * Walk the tree below @topfd (a directory descriptor), deciding every path
 * with @ex (NULL: everything included).  @label prefixes paths in error
 * messages (the guest as the user named it).  @top_data is the top's @data.
 * Returns 0, or -1 if the walk could not start or a callback stopped it.
 */
int vu_walk(int topfd, const char *label, const struct vu_exclude *ex,
	    const struct vu_walk_ops *ops, void *arg, void *top_data, struct vu_err *e);

#endif /* VUNIFY_WALK_H */
