/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A guest tree's disk use, split into what is private to the guest and what
 * it shares with others through the store (inodes carrying the mark, see
 * format.h).  Bytes are allocated blocks; an inode is counted once however
 * many names it has in the tree.  The walk is done from the host on the
 * backing directory, with *at() calls relative to directory descriptors,
 * never following a symlink and never leaving the file system.
 */
#ifndef VUNIFY_DISKUSAGE_H
#define VUNIFY_DISKUSAGE_H

#include <stdint.h>

#include "vunify/error.h"

struct vu_du {
	uint64_t private_bytes, private_inodes;
	uint64_t shared_bytes, shared_inodes;
};

int vu_du_scan(const char *root, struct vu_du *du, struct vu_err *e);

#endif /* VUNIFY_DISKUSAGE_H */
