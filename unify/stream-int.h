/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The receiver of a guest stream, shared by unify/stream_recv.c (reading
 * it) and unify/stream_finish.c (the store and the metadata, after END). */
#ifndef VUNIFY_STREAM_INT_H
#define VUNIFY_STREAM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/key.h"
#include "vunify/stream.h"
#include "vunify/xattr.h"

struct rinode {
	uint64_t parent;
	char *name;
	struct statx stx;            /* mode, uid, gid, size, atime, mtime, rdev */
	struct vu_xattrs x;
	char *target;                /* symlink */
	uint32_t flags;
	uint32_t depth;
	struct vu_id id;             /* VU_STREAM_F_OBJECT */
	uint64_t made_ino;           /* the inode made for it (private files) */
	bool filled;                 /* its FILE arrived */
};

struct robj {
	struct vu_id id;
	struct statx want;           /* what its names' manifest entries say */
	bool staged;                 /* its OBJECT arrived and checked */
	unsigned kflags;
	struct statx stx;
	struct vu_xattrs x;
	unsigned seq;
	struct statx ostx;           /* the instance we link to */
};

enum sink_kind { SINK_NONE, SINK_FILE, SINK_OBJECT };

struct recv {
	struct vu_session *s;
	struct vu_stream_recv_opts *o;
	struct vu_stream_stats *st;
	struct vu_sreader r;
	struct vu_err *e;
	int parentfd, topfd, stagefd;
	const char *topname;
	bool top_made;
	struct made { struct vu_id id; unsigned seq; struct statx stx; } *made;
	size_t nmade, capmade;       /* instances this receive added to the store */
	struct rinode *in;           /* in[ino - 1] */
	uint64_t nin, capin;
	uint64_t manifest_bytes;     /* bounded: VU_STREAM_MANIFEST_MAX */
	struct robj *obj;            /* sorted by id */
	size_t nobj;
	uint64_t cache_ino;          /* one directory descriptor kept open */
	int cache_fd;
	/* where DATA goes */
	enum sink_kind sink;
	int sinkfd;
	uint64_t sink_pos, sink_size, sink_off;
	struct robj *sink_obj;
	struct vu_key *key;
	uint8_t *buf;                /* VU_STREAM_DATA_MAX, for base files */
	struct vu_id *base_ids;      /* incremental: objects the base links to */
	size_t nbase_ids;
	bool base_seen;              /* its BASE record was read */
};

/* The stat a guest sees of a unified name: its object's. */
static inline bool vu_srecv_same_stat(const struct statx *a, const struct statx *b)
{
	return a->stx_mode == b->stx_mode && a->stx_uid == b->stx_uid && a->stx_gid == b->stx_gid &&
	       a->stx_size == b->stx_size && a->stx_mtime.tv_sec == b->stx_mtime.tv_sec &&
	       a->stx_mtime.tv_nsec == b->stx_mtime.tv_nsec;
}

/* "stream offset N: MSG[: strerror(err)]" for the record being read; -1. */
int vu_srecv_bad(struct recv *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define BAD(R, ...) vu_srecv_bad((R), 0, __VA_ARGS__)

/* A new descriptor of the received directory @ino (the caller closes it). */
int vu_srecv_dir_open(struct recv *r, uint64_t ino);

/* stream_incr.c: a BASE_FILE record (incremental streams). */
int vu_srecv_base_file(struct recv *r, struct vu_scur *c);

/* After END: objects into the store, unified names linked, metadata. */
int vu_srecv_finish(struct recv *r);
/* After a failure: remove the instances vu_srecv_finish made. */
void vu_srecv_unmake(struct recv *r);

#endif /* VUNIFY_STREAM_INT_H */
