/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reaching a path inside a guest tree from the host without ever leaving
 * it: every lookup is relative to a held descriptor of the guest's top
 * directory, follows no symlink and crosses no mount point
 * (openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV), or a
 * component-by-component O_NOFOLLOW walk where openat2 is missing).  The
 * path strings come from our own walk of the tree and are only ever
 * interpreted this way.
 */
#ifndef VUNIFY_RESOLVE_H
#define VUNIFY_RESOLVE_H

/*
 * Open the directory PATH ("/a/b", "/" or "" for the top itself) below
 * @topfd, O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_NOATIME plus @extra.  Returns the
 * descriptor, or -1 with errno (ELOOP or EXDEV if a component is a symlink
 * or a mount point).
 */
int vu_resolve_dir(int topfd, const char *path, int extra);

/* Split PATH ("/a/b/c") into its directory ("/a/b") and last component
 * ("c"): writes the directory into @dir (size @size), returns the name
 * (a pointer into PATH) or NULL if it does not fit. */
const char *vu_resolve_split(const char *path, char *dir, size_t size);

#endif /* VUNIFY_RESOLVE_H */
