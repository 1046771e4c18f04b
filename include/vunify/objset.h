/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The set of inode numbers of the store's objects: tells a unified guest
 * file from a private one by its stat alone (a unified file IS the object's
 * inode), so that a rerun never opens it.  Objects and guests share one
 * filesystem, so the inode number is enough.  Also the "each inode once"
 * of the usage counts (diskusage.c, fs/usage.c), whose trees are one
 * filesystem each.  Open addressing, 16 bytes a
 * slot at a load of at most 1/2: about 32 MB per million objects at worst.
 */
#ifndef VUNIFY_OBJSET_H
#define VUNIFY_OBJSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vu_objset {
	uint64_t *slot;              /* ino + 1; 0 = empty */
	size_t cap, n;
};

void vu_objset_init(struct vu_objset *s);
int vu_objset_add(struct vu_objset *s, uint64_t ino);   /* -1 ENOMEM */
bool vu_objset_has(const struct vu_objset *s, uint64_t ino);
void vu_objset_free(struct vu_objset *s);

#endif /* VUNIFY_OBJSET_H */
