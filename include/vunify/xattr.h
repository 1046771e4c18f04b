/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Extended attributes of one inode, as one sorted set.
 *
 * A set holds every attribute of the inode except the mark
 * (VU_MARK_XATTR), sorted by name (strcmp), so that two sets can be
 * compared and hashed in a canonical order.  The mark, if present, is kept
 * aside in @mark/@mark_len.  POSIX ACLs (system.posix_acl_*) and file
 * capabilities (security.capability) are ordinary members of the set.
 *
 * A filesystem without xattr support yields an empty set, not an error.
 */
#ifndef VUNIFY_XATTR_H
#define VUNIFY_XATTR_H

#include <stdbool.h>
#include <stddef.h>

#include "vunify/error.h"
#include "vunify/format.h"

struct vu_xattr {
	const char *name;
	const void *value;
	size_t len;
};

struct vu_xattrs {
	size_t n;
	struct vu_xattr *v;          /* sorted by name */
	char *mem;                   /* names and values live here */
	bool marked;                 /* the inode carries VU_MARK_XATTR */
	size_t mark_len;             /* length of its value (may exceed the buffer) */
	char mark[VU_ID_HEXLEN];     /* its first bytes */
};

/* Read the set of the inode open as @fd.  @what names it in errors. */
int vu_xattrs_read_fd(int fd, struct vu_xattrs *x, struct vu_err *e, const char *what);

/* Same for the entry @name of directory @dirfd without following it (for
 * symlinks and special files, which cannot be opened for f*xattr). */
int vu_xattrs_read_at(int dirfd, const char *name, struct vu_xattrs *x,
		      struct vu_err *e, const char *what);

void vu_xattrs_free(struct vu_xattrs *x);

/* True if both sets have the same names with the same values (marks ignored). */
bool vu_xattrs_equal(const struct vu_xattrs *a, const struct vu_xattrs *b);

/* Set every member of @x on @fd (or on @dirfd/@name, not following it). */
int vu_xattrs_apply_fd(int fd, const struct vu_xattrs *x, struct vu_err *e, const char *what);
int vu_xattrs_apply_at(int dirfd, const char *name, const struct vu_xattrs *x,
		       struct vu_err *e, const char *what);

#endif /* VUNIFY_XATTR_H */
