/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Honouring the guest lock (format.h) of whatever guest a directory is in.
 *
 * A host tool that changes a tree below directory D holds LOCK_EX on D; but
 * D may be a subdirectory of a guest that vunifyfs has mounted (which holds
 * LOCK_EX on the guest's top, not on D).  So the tool also takes
 * LOCK_SH|LOCK_NB on every directory above D, up to the root, and keeps
 * those for its whole run:
 *
 *   - a guest top above D that vunifyfs (or another tool) holds makes our
 *     LOCK_SH fail with EWOULDBLOCK: the tool refuses, naming that guest;
 *   - a vunifyfs started later on a directory above D fails its LOCK_EX.
 *
 * Shared locks do not conflict with each other, so tools and vunifyfs
 * working on sibling guests under one parent never get in each other's way.
 *
 * The directories above D are found from D itself (openat "..", never the
 * path the user typed), so symlinks in that path cannot lead the locks
 * astray.  Where D or a directory above it is the root of a bind mount of a
 * subtree, ".." leaves that filesystem: the directories above the subtree
 * in its own filesystem are locked too, reached through another mount of
 * that filesystem (from /proc/self/mountinfo).
 */
#ifndef VUNIFY_TREELOCK_H
#define VUNIFY_TREELOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "vunify/error.h"

struct vu_treelock {
	int *fds;                    /* the directories held (LOCK_SH) */
	size_t n, cap;
};

/* Lock every directory above @dirfd (not @dirfd itself) shared.  @label
 * names @dirfd in messages.  On EWOULDBLOCK the error names the directory
 * in use.  Locks taken stay in @t (release them with vu_treelock_release). */
int vu_treelock_above(struct vu_treelock *t, int dirfd, const char *label, struct vu_err *e);

/* The same, and @dirfd itself shared too: for the directory a new tree is
 * made in (vclone's NEW_GUEST), which may itself be a guest's top. */
int vu_treelock_dir(struct vu_treelock *t, int dirfd, const char *label, struct vu_err *e);

/* Is directory @dir (by device and inode) one of those held in @t? */
bool vu_treelock_holds(const struct vu_treelock *t, const struct statx *dir);

void vu_treelock_release(struct vu_treelock *t);

#endif /* VUNIFY_TREELOCK_H */
