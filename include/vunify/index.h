/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's index: STORE/index.db, sqlite3, WAL, synchronous=NORMAL.
 *
 * It is a cache: everything in it can be rebuilt from the store and the
 * guests (a missing index.db is recreated, and the objects table refilled by
 * walking STORE/objects).  Schema (version 1):
 *
 *   meta(key TEXT PRIMARY KEY, value)
 *       'version' = 1, 'hash_bits' = significant id bits (see key.h)
 *
 *   guests(id INTEGER PRIMARY KEY, path TEXT UNIQUE, last_run INTEGER)
 *       every guest vhashify has seen, by canonical absolute path
 *
 *   files(guest, path, dev, ino, size, mtime_ns, ctime_ns, kflags, id,
 *         PRIMARY KEY(guest, path)) WITHOUT ROWID
 *       the key of a private file that was hashed: as long as dev, ino,
 *       size, mtime and ctime are unchanged (and the key flags are the
 *       same), the file's id is known without reading it.  Unified files
 *       need no row: they are recognised by their inode being an object.
 *
 *   objects(id TEXT, seq INTEGER, ino, size, mode, uid, gid, mtime_ns,
 *           atime_ns, kflags, created, PRIMARY KEY(id, seq))
 *       every object instance; index objects_ino on ino
 *
 * Writes are batched: vu_index_tick() commits at most about once a second.
 */
#ifndef VUNIFY_INDEX_H
#define VUNIFY_INDEX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/key.h"
#include "vunify/store.h"

/* The sqlite handle and its statements (unify/index-int.h): nothing but
 * the index module sees sqlite. */
struct vu_index_db;

struct vu_index {
	struct vu_index_db *priv;
	char *path;
	bool created;                /* the file was new (or in memory) */
	bool in_tx;
	bool memory;                 /* no index file: an empty one in memory */
	bool deferred;               /* begin with BEGIN, not BEGIN IMMEDIATE */
	unsigned pending;
	int64_t tx_start_ms;
};

/* Open STORE/index.db, creating it if @create; without @create a missing
 * file gives an empty in-memory index (for read-only uses), and an existing
 * one is opened without its write lock (@deferred), so that it can be read
 * while a vhashify writes it.  A damaged index, or one locked for a
 * writer, is a clear error. */
int vu_index_open(struct vu_index *ix, const struct vu_store *s, bool create, struct vu_err *e);
void vu_index_close(struct vu_index *ix);

int vu_index_begin(struct vu_index *ix, struct vu_err *e);
int vu_index_commit(struct vu_index *ix, struct vu_err *e);
/* Drop the open transaction, if any: what was committed stays. */
void vu_index_rollback(struct vu_index *ix);
/* Count one change; commit and begin anew if the batch is old enough. */
int vu_index_tick(struct vu_index *ix, struct vu_err *e);

int vu_index_guest(struct vu_index *ix, const char *path, int64_t *id, struct vu_err *e);
int vu_index_guest_ran(struct vu_index *ix, int64_t id, struct vu_err *e);
/* Forget a guest: its row and its files' rows. */
int vu_index_guest_forget(struct vu_index *ix, int64_t id, struct vu_err *e);
/* Call @fn for every known guest, by path; @fn returns 0 to go on, > 0 to
 * stop, < 0 to stop with an error it has put in @e.  The index is not
 * written meanwhile (the statement is open). */
int vu_index_guests_each(struct vu_index *ix,
			 int (*fn)(void *arg, int64_t id, const char *path, struct vu_err *e),
			 void *arg, struct vu_err *e);

int vu_index_file_put(struct vu_index *ix, int64_t guest, const char *path,
		      const struct statx *stx, unsigned kflags, const struct vu_id *id,
		      struct vu_err *e);
int vu_index_file_del(struct vu_index *ix, int64_t guest, const char *path, struct vu_err *e);

int vu_index_object_put(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			const struct statx *stx, unsigned kflags, struct vu_err *e);
int vu_index_object_del(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			struct vu_err *e);
/* The object whose inode is @ino: 1 found, 0 not, -1 error. */
int vu_index_object_by_ino(struct vu_index *ix, uint64_t ino, struct vu_id *id,
			   unsigned *seq, struct vu_err *e);
/* The key flags an object was made with: 1 found, 0 not, -1 error. */
int vu_index_object_kflags(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			   unsigned *kflags, struct vu_err *e);

/* Call @fn for the inode number of every object (as guests_each). */
int vu_index_objects_each_ino(struct vu_index *ix,
			      int (*fn)(void *arg, uint64_t ino, struct vu_err *e),
			      void *arg, struct vu_err *e);

/*
 * vhashify gc: the objects found on disk are noted (temp.seen); the rows of
 * the others are dropped at the end.  Within a transaction.
 */
int vu_index_gc_begin(struct vu_index *ix, struct vu_err *e);
int vu_index_gc_seen(struct vu_index *ix, const struct vu_id *id, unsigned seq,
		     struct vu_err *e);
/* Drop the rows of the objects not seen (after a complete walk). */
int vu_index_gc_forget_unseen(struct vu_index *ix, struct vu_err *e);
void vu_index_gc_end(struct vu_index *ix);

/*
 * vhashify's temporary tables (unify/index_work.c, include/vunify/hashify.h).
 * The scan notes candidates (temp.cand); vu_index_cand_done() indexes them
 * for vu_index_forget_stale(); vu_index_work_prepare() puts the candidates
 * that may have a twin into temp.work, sorted by size then grouping key
 * (@ignore: the VU_META_IGNORE_* bits the key leaves out), and says how
 * many files and how many bytes to hash; vu_index_work_next() reads them
 * back in that order.
 */
int vu_index_cand_begin(struct vu_index *ix, struct vu_err *e);
int vu_index_cand_add(struct vu_index *ix, uint32_t gidx, int64_t guest, const char *path,
		      size_t pathlen, const struct statx *stx, int64_t gkey, struct vu_err *e);
void vu_index_cand_end(struct vu_index *ix);
int vu_index_cand_done(struct vu_index *ix, struct vu_err *e);
/* Drop @guest's file rows whose path is no longer a candidate. */
int vu_index_forget_stale(struct vu_index *ix, int64_t guest, struct vu_err *e);

struct vu_index_work_row {
	uint32_t gidx;
	int64_t guest;
	const char *path;            /* valid until the next call; NULL: no memory */
	struct statx stx;            /* as scanned: dev, ino, size, mode, owner, times */
	int64_t gkey;
	bool have_id;                /* the files table knew its id */
	struct vu_id id;
};

int vu_index_work_prepare(struct vu_index *ix, unsigned kflags, bool all, unsigned ignore,
			  uint64_t *files, uint64_t *bytes_to_hash, struct vu_err *e);
/* The next row: 1, 0 at the end, -1 error. */
int vu_index_work_next(struct vu_index *ix, struct vu_index_work_row *r, struct vu_err *e);
/* Leave no statement open (before a commit); the next call goes on. */
void vu_index_work_pause(struct vu_index *ix);
void vu_index_work_end(struct vu_index *ix);
/* Drop both temporary tables (the end of a run, errors ignored). */
void vu_index_work_drop(struct vu_index *ix);

#endif /* VUNIFY_INDEX_H */
