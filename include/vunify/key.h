/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Object ids: the key of a regular file.
 *
 * The id is XXH3-128 (xxHash 0.8) over this byte stream (integers little
 * endian):
 *
 *   "vunify-key-1"                      12 bytes, the key version
 *   flags                               u32 (VU_KEY_*)
 *   size                                u64
 *   st_mode (type and permission bits)  u32
 *   uid, gid                            u32, u32
 *   mtime seconds, nanoseconds          i64, u32 (both 0 with VU_KEY_IGNORE_MTIME)
 *   number of xattrs                    u32
 *   per xattr, sorted by name:          u32 name length, name,
 *                                       u32 value length, value
 *   the file content                    size bytes
 *
 * i.e. the content and every piece of metadata a hardlink shares except the
 * timestamps a link cannot keep apart anyway (ctime) and atime, which is not
 * identity (vhashify links files whose atimes differ, unless told
 * --strict-atime).  The mark itself is never part of the key.
 *
 * The id is printed as 32 lowercase hex digits, high 64 bits first.
 *
 * Testing switch: VUNIFY_HASH_BITS=N (1..128) in the environment keeps only
 * the first N bits of every id (the rest are zero), so that tests can force
 * collisions.  Stores remember the setting they were made with.
 */
#ifndef VUNIFY_KEY_H
#define VUNIFY_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/format.h"
#include "vunify/xattr.h"

#define VU_KEY_IGNORE_MTIME 0x1u

struct vu_id {
	uint8_t b[16];               /* canonical (big-endian) XXH128 */
};

/* What of a file's stat goes into its key. */
struct vu_key_meta {
	uint64_t size;
	uint32_t mode, uid, gid;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
};

struct vu_key;                   /* an id being computed */

/* Read VUNIFY_HASH_BITS; -1 with a message if it is malformed. */
int vu_key_init(struct vu_err *e);
/* The number of significant id bits (128 unless the testing switch is on). */
unsigned vu_key_bits(void);

void vu_key_meta_from_statx(struct vu_key_meta *m, const struct statx *stx);

struct vu_key *vu_key_new(void);
void vu_key_free(struct vu_key *k);
/* Start a key: the header, @m and @x (sorted, mark excluded). */
void vu_key_begin(struct vu_key *k, const struct vu_key_meta *m,
		  const struct vu_xattrs *x, unsigned flags);
void vu_key_update(struct vu_key *k, const void *buf, size_t len);
void vu_key_final(struct vu_key *k, struct vu_id *id);

/*
 * The whole key of the regular file open as @fd: metadata @m and @x, then
 * the content read with pread() in chunks of @bufsize through @buf.  Holes
 * (SEEK_DATA/SEEK_HOLE) are hashed as the zeros they read as, without being
 * read: the id is the same as for the bytes written out.  The content must
 * be exactly m->size bytes long, else the file changed under us: -1 with
 * errno ESTALE.  *@nread gets the bytes read.
 */
int vu_key_fd(struct vu_key *k, int fd, const struct vu_key_meta *m,
	      const struct vu_xattrs *x, unsigned flags, void *buf, size_t bufsize,
	      struct vu_id *id, uint64_t *nread, struct vu_err *e, const char *what);

/* Hex form, NUL-terminated. */
void vu_id_hex(const struct vu_id *id, char out[VU_ID_HEXLEN + 1]);
/* Parse a well-formed id (see vu_id_valid()); -1 if malformed. */
int vu_id_parse(const char *hex, size_t len, struct vu_id *id);
bool vu_id_eq(const struct vu_id *a, const struct vu_id *b);
int vu_id_cmp(const struct vu_id *a, const struct vu_id *b);

#endif /* VUNIFY_KEY_H */
