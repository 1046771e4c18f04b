/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Removing a tree we made ourselves, descriptor-relative, never following
 * a symlink and never leaving the filesystem. */
#ifndef VUNIFY_RMTREE_H
#define VUNIFY_RMTREE_H

/* Remove NAME in @dirfd and, if it is a directory, everything below it. */
int vu_rmtree_at(int dirfd, const char *name);

#endif /* VUNIFY_RMTREE_H */
