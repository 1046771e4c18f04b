/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vunify on-disk format: the contract between vunifyfs, vhashify, vclone,
 * vserver and any script or tool that inspects a guest tree or a store.
 * Changing anything here breaks existing stores and guests.
 *
 * Guest tree
 *   An ordinary directory tree on the host.  A regular file in it is either
 *   private to the guest, or *unified*: a hardlink to a store object.
 *
 * The mark
 *   A unified file's inode carries the extended attribute VU_MARK_XATTR
 *   ("trusted.vunify").  Its value is the object id: exactly VU_ID_HEXLEN
 *   lowercase hex digits, no terminating NUL.  Any inode that carries the
 *   attribute, whatever its value, is shared: nothing may write it in place.
 *   A value that is not a well-formed id is "malformed"; such an inode is
 *   still treated as shared, and the tools report it.  A mark on an inode
 *   that is not an object of the store a tool works with (a tree copied
 *   with cp -a from a guest of another store) is "foreign": vhashify and
 *   vclone unify such a file into their store like an unmarked one (each
 *   name on its own) and count it; a mark's value is never trusted.
 *
 * Object ids
 *   XXH3-128 (xxHash 0.8) over the file content and the metadata that a
 *   hardlink shares (mode, uid, gid, mtime, xattrs), printed as 32 lowercase
 *   hex digits, high 64 bits first.  See unify/ for the exact key.
 *
 * Store
 *   STORE/                       mode 0700, same filesystem as the guests
 *   STORE/objects/xx/ID-REST     one object: xx = the first two hex digits of
 *                                the id, ID-REST = the other 30
 *   STORE/objects/xx/ID-REST.N   N >= 1: a further object with the same id,
 *                                started when the first reached the
 *                                filesystem's link limit (EMLINK)
 *   STORE/index.db               sqlite3 index (WAL); see unify/index.c
 *
 * Reserved names
 *   Names in a guest tree that start with VU_TMP_PREFIX are temporaries of a
 *   link break (vunifyfs) or of a link replacement (vhashify).  They are
 *   never part of what a guest sees: vunifyfs hides them, refuses to create
 *   them, and removes those left by a crashed process.  The rest of the name
 *   is VU_TMP_TAG_BREAK or VU_TMP_TAG_HASHIFY, an instance tag, '.', and a
 *   counter.
 *
 * Private usage
 *   What a guest uses of its own: the one rule behind vunifyfs's disk
 *   limits and usage record, `vserver NAME status` ("private") and
 *   `vhashify stats` (PRIVATE_BYTES, private_inodes), so that all of them
 *   give the same numbers for the same tree.  Over every inode reachable by
 *   name from the guest's top directory (the top included):
 *   - a store object (a regular file whose inode carries the mark, any
 *     value, any link count) counts for nothing: it is shared;
 *   - every other inode (files, directories, symlinks, devices, fifos,
 *     sockets, reserved names too) counts as one inode and its allocated
 *     bytes, st_blocks * 512: a sparse file counts the blocks it has, not
 *     its size; a symlink whose target lives in the inode counts 0 bytes;
 *   - an inode with several names in the guest (a hardlink the guest
 *     made) counts once;
 *   - only the guest's file system counts: a directory on another device
 *     or another mount (a bind mount too) is neither counted nor entered.
 *   vu_usage_cost() below is the per-inode part; vunifyfs counts with its
 *   own parallel scan (fs/usage.c), the tools with vu_du_scan()
 *   (diskusage.h).
 *
 * Usage record
 *   When a guest is mounted with disk limits, vunifyfs keeps its private
 *   usage in the xattr VU_USAGE_XATTR on the guest's top directory, as text:
 *     "v1 bytes=B inodes=I state=S"
 *   B = allocated bytes and I = inodes, by the rule of "Private usage"; S is
 *   "clean" after a clean unmount, else "dirty" (then the numbers are only
 *   a recent snapshot).  A record that is absent or dirty makes the next
 *   mount with limits count the tree again.  Whoever changes a guest tree
 *   from the host (vunifyfs without limits, vhashify, vclone) removes the
 *   record first.
 *
 * Guest lock
 *   A process that changes a guest tree from the host side (vunifyfs while it
 *   is mounted, vhashify and vclone while they link) holds
 *   flock(LOCK_EX) on an open descriptor of the guest's top directory, so
 *   that no two of them change one guest at a time.  A tool that is given
 *   a directory that may lie inside a guest (vhashify, vclone) also holds
 *   flock(LOCK_SH) on every directory above it while it works: the lock
 *   of a guest that contains it is then honoured too (treelock.h).  The
 *   lock need only be held while the tree is changed, not while it is
 *   read.
 */
#ifndef VUNIFY_FORMAT_H
#define VUNIFY_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#define VU_MARK_XATTR      "trusted.vunify"
#define VU_ID_HEXLEN       32
#define VU_USAGE_XATTR     "trusted.vunify.usage"

#define VU_STORE_OBJECTS   "objects"
#define VU_STORE_INDEX     "index.db"
#define VU_STORE_MODE      0700

#define VU_TMP_PREFIX      ".vunify-tmp."
#define VU_TMP_PREFIX_LEN  (sizeof(VU_TMP_PREFIX) - 1)
#define VU_TMP_TAG_BREAK   "b"
#define VU_TMP_TAG_HASHIFY "h"

/* True if @buf (not NUL-terminated, @len bytes) is a well-formed object id. */
static inline bool vu_id_valid(const char *buf, size_t len)
{
	if (len != VU_ID_HEXLEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/*
 * Parse a usage record (see "Usage record"), @len bytes at @buf; returns
 * false if it is not one.
 */
static inline bool vu_usage_parse(const char *buf, size_t len, long long *bytes,
				  long long *inodes, bool *clean)
{
	char text[128], state[16];

	if (len >= sizeof(text))
		return false;
	for (size_t i = 0; i < len; i++)
		text[i] = buf[i];
	text[len] = '\0';
	if (sscanf(text, "v1 bytes=%lld inodes=%lld state=%15s", bytes, inodes, state) != 3 ||
	    *bytes < 0 || *inodes < 0)
		return false;
	*clean = state[0] == 'c' && state[1] == 'l' && state[2] == 'e' && state[3] == 'a' &&
		 state[4] == 'n' && state[5] == '\0';
	return true;
}

/*
 * What one inode (lstat @st; @marked: it carries the mark, asked of regular
 * files) adds to a guest's private bytes, by the rule of "Private usage":
 * -1 for a store object, which counts for nothing (not as an inode either).
 */
static inline long long vu_usage_cost(const struct stat *st, bool marked)
{
	if (S_ISREG(st->st_mode) && marked)
		return -1;
	return (long long)st->st_blocks * 512;
}

/* True if @name is a reserved temporary name (see "Reserved names"). */
static inline bool vu_name_reserved(const char *name)
{
	for (size_t i = 0; i < VU_TMP_PREFIX_LEN; i++)
		if (name[i] != VU_TMP_PREFIX[i])
			return false;
	return true;
}

#endif /* VUNIFY_FORMAT_H */
