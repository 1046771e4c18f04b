/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File metadata as vunify compares it: statx(2) results and the questions
 * asked of them ("is this still the file we saw?", "would a guest see a
 * difference if this name became a link to that inode?").
 */
#ifndef VUNIFY_META_H
#define VUNIFY_META_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* What vunify asks statx for. */
#define VU_STATX_MASK (STATX_BASIC_STATS | STATX_MNT_ID)

/* Which timestamps a link may ignore (vhashify --ignore-mtime; atime
 * unless --strict-atime). */
#define VU_META_IGNORE_MTIME 0x1u
#define VU_META_IGNORE_ATIME 0x2u

/* statx() of @name in @dirfd (AT_SYMLINK_NOFOLLOW), or of @dirfd itself if
 * @name is "" .  Returns 0 or -1 with errno. */
int vu_meta_statx(int dirfd, const char *name, struct statx *stx);

static inline int64_t vu_meta_ns(const struct statx_timestamp *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static inline struct timespec vu_meta_ts(const struct statx_timestamp *t)
{
	struct timespec ts = { .tv_sec = t->tv_sec, .tv_nsec = t->tv_nsec };

	return ts;
}

static inline struct statx_timestamp vu_meta_from_ns(int64_t ns)
{
	struct statx_timestamp t = { .tv_sec = ns / 1000000000, .tv_nsec = (uint32_t)(ns % 1000000000) };

	if (ns < 0 && t.tv_nsec) {
		t.tv_sec--;
		t.tv_nsec = (uint32_t)(ns % 1000000000 + 1000000000);
	}
	return t;
}

static inline bool vu_meta_ts_eq(const struct statx_timestamp *a, const struct statx_timestamp *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static inline uint64_t vu_meta_dev(const struct statx *s)
{
	return makedev(s->stx_dev_major, s->stx_dev_minor);
}

/* The mount id of @name in @dirfd ("" for @dirfd itself), 0 if the kernel
 * does not tell: a bind mount of the same filesystem inside a tree has the
 * same device, only this tells it apart. */
uint64_t vu_meta_mount_id(int dirfd, const char *name);

/* Same inode? */
bool vu_meta_same_inode(const struct statx *a, const struct statx *b);

/* Same inode, and neither its content nor its metadata changed in between
 * (size, mtime and ctime equal)? */
bool vu_meta_unchanged(const struct statx *a, const struct statx *b);

/*
 * Is the regular file @s mostly holes: less than half of it allocated, and
 * more than VU_META_HOLES_MAX bytes not?  vhashify leaves such files alone
 * (see vhashify(8)): holes are never read, but the id still hashes them as
 * zeros, and a guest can make a file of 16 TiB of holes in an instant (16
 * TiB of zeros are hours of XXH3).  Below the bound a file's holes cost
 * milliseconds; above it, only files with more data than holes are hashed,
 * so the zeros never cost more than reading the data does.  (Small files
 * whose data lives in the inode, st_blocks 0, stay eligible.)
 */
#define VU_META_HOLES_MAX (64ull << 20)

static inline bool vu_meta_mostly_sparse(const struct statx *s)
{
	uint64_t alloc = s->stx_blocks * 512;

	return alloc < s->stx_size / 2 && s->stx_size - alloc > VU_META_HOLES_MAX;
}

/* Would a guest see no difference between the two inodes' stat (type and
 * mode, owner, size, mtime and atime, except the ignored ones)? */
bool vu_meta_looks_same(const struct statx *a, const struct statx *b, unsigned ignore);

#endif /* VUNIFY_META_H */
